"""Pytest fixtures shared by every test suite of the workspace (loaded with `-p lianfang.common.testing.plugin`)."""

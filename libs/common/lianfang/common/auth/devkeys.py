"""The development signing key pair: public on purpose, refused outside development (see settings)."""

__all__ = ["DEV_JWT_PRIVATE_KEY", "DEV_JWT_PUBLIC_KEY"]

DEV_JWT_PRIVATE_KEY = """-----BEGIN PRIVATE KEY-----
MC4CAQAwBQYDK2VwBCIEIJ5MnM7BeBN0/cfqJUkwwJqd6LsSC42J/QCTJ2BE8w3r
-----END PRIVATE KEY-----
"""

DEV_JWT_PUBLIC_KEY = """-----BEGIN PUBLIC KEY-----
MCowBQYDK2VwAyEADaLZy1NNy3XUZGAMmfaEkev4aMYMZXtcgsxEGS0qAAo=
-----END PUBLIC KEY-----
"""

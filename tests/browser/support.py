from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from playwright.async_api import Page

REPOSITORY = Path(__file__).resolve().parents[2]
SCREENSHOTS = REPOSITORY / ".screenshots"
DEMO_PASSWORD = "Demo-2026"


@dataclass(frozen=True)
class Server:
    """`lianfang run` as the browser tests started it: where it listens and its data directory."""

    base_url: str
    data_dir: Path

    def demo_logins(self) -> dict[str, dict[str, str]]:
        """The demo accounts by username: role and region."""
        logins = json.loads((self.data_dir / "demo.json").read_text())
        return {login["username"]: login for login in logins}


async def screenshot(page: Page, name: str) -> Path:
    """Saves what the page shows now as `.screenshots/<name>.png` (to look at) and returns the path."""
    SCREENSHOTS.mkdir(exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    await page.screenshot(path=str(path), full_page=True)
    return path

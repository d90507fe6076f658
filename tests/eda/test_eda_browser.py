"""The sample report opened in headless Chromium: it renders, every image decodes, no errors."""

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from matplotlib.image import imread

# Runs a real browser / real processes.
pytestmark = pytest.mark.e2e

# The flags this machine needs (see the machine notes): no sandbox as root, no GPU, and no
# background networking, since the network is closed and Chromium would keep trying.
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                  "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--enable-logging=stderr",
                  "--v=0", "--virtual-time-budget=10000"]
# Added to a copy of the report only: the product page has no script. It reports, after load,
# how many images there are and how many failed to decode, plus any script error.
CHECK_SCRIPT = """<script>
const errors = [];
window.addEventListener("error", (event) => errors.push(String(event.message || event.type)));
window.addEventListener("load", () => {
  const broken = [...document.images].filter((i) => !(i.complete && i.naturalWidth > 0));
  const out = document.createElement("pre");
  out.id = "render-check";
  out.textContent = JSON.stringify({images: document.images.length, broken: broken.length,
    sections: document.querySelectorAll("section").length, errors,
    width: document.documentElement.scrollWidth, height: document.body.scrollHeight});
  document.body.appendChild(out);
});
</script>
"""


def chromium() -> str:
    binary = shutil.which("chromium")
    if binary is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is not installed: .ci/run installs Debian's chromium package")
        pytest.skip("chromium is not installed (apt-get install chromium)")
    return binary


def run_chromium(page: Path, profile: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [chromium(), *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *extra, page.as_uri()],
        capture_output=True, text=True, timeout=60, check=False)


def test_report_renders_in_chromium(sample_report: Path, parsed_sample, tmp_path: Path):
    checked = sample_report.parent / "render-check.html"
    html = sample_report.read_text(encoding="utf-8")
    checked.write_text(html.replace("</body>", CHECK_SCRIPT + "</body>"), encoding="utf-8")

    result = run_chromium(checked, tmp_path / "profile", "--dump-dom")

    assert result.returncode == 0, result.stderr[-2000:]
    found = re.search(r'<pre id="render-check">(.*?)</pre>', result.stdout, re.S)
    assert found, "the page never finished loading:\n" + result.stderr[-2000:]
    check = json.loads(found.group(1).replace("&quot;", '"'))
    assert check["images"] == len(parsed_sample.figures)
    assert check["broken"] == 0
    assert check["sections"] == len(parsed_sample.sections)
    assert check["errors"] == []
    assert check["height"] > 5000  # twenty figures laid out one under the other
    console = [line for line in result.stderr.splitlines() if ":CONSOLE" in line]
    assert console == []


def test_report_screenshot(sample_report: Path, tmp_path: Path):
    screenshot = tmp_path / "report.png"
    result = run_chromium(sample_report, tmp_path / "profile", f"--screenshot={screenshot}",
                          "--window-size=1200,1600")
    assert result.returncode == 0, result.stderr[-2000:]
    pixels = imread(screenshot)
    assert pixels.shape[:2] == (1600, 1200)
    # The first screen holds the heading, the contents and the first chart: far from blank.
    inked = (pixels[..., :3] < 0.9).any(axis=2).mean()
    assert inked > 0.03, f"only {inked:.1%} of the first screen is drawn"

"""axe-core and keyboard-focus checks on a Playwright page, for the accessibility sweep.

axe-core is the npm package, installed by `make axe` (which `make test` runs) into
.venv/axe/; it is evaluated in the page through DevTools, which the page's
Content-Security-Policy does not apply to, so the CSP stays as strict as in production.
A plain module of helpers (no fixtures, no asserts): the tests decide what fails.
"""

from dataclasses import dataclass
from pathlib import Path

AXE_SCRIPT = (
    Path(__file__).resolve().parents[2]
    / ".venv"
    / "axe"
    / "node_modules"
    / "axe-core"
    / "axe.min.js"
)
MISSING_AXE = (
    f"axe-core is not installed at {AXE_SCRIPT}: run `make axe` (or `make test`, "
    "which installs it first) to install the pinned version from npm"
)
FAILING_IMPACTS = ("serious", "critical")

# Every rule axe-core runs by default (WCAG 2.0-2.2 A and AA, and best practices);
# the results come back trimmed to what a failure message needs.
RUN_AXE = """
async () => {
  const results = await axe.run(document, { resultTypes: ["violations"] });
  return results.violations.map((violation) => ({
    rule: violation.id,
    impact: violation.impact,
    help: violation.help,
    help_url: violation.helpUrl,
    targets: violation.nodes.map((node) => node.target.join(" >>> ")),
    summary: violation.nodes.length ? violation.nodes[0].failureSummary : "",
  }));
}
"""

# What the element that has focus looks like, remembered for a second look once
# nothing has focus; the background is the nearest opaque one behind its outline.
RECORD_FOCUSED = """
() => {
  const element = document.activeElement;
  if (!element || element === document.body || element === document.documentElement) {
    return null;
  }
  window.__focusStops = window.__focusStops || [];
  if (window.__focusStops.includes(element)) return { index: -1 };
  window.__focusStops.push(element);
  const style = getComputedStyle(element);
  let background = "rgb(255, 255, 255)";
  for (let node = element.parentElement; node; node = node.parentElement) {
    const color = getComputedStyle(node).backgroundColor;
    if (color !== "transparent" && !/,\\s*0\\)$/.test(color)) {
      background = color;
      break;
    }
  }
  const label = (element.getAttribute("aria-label") || element.textContent ||
                 element.getAttribute("name") || element.id || "").trim().slice(0, 40);
  return {
    index: window.__focusStops.length - 1,
    tag: element.tagName.toLowerCase(),
    type: element.getAttribute("type") || "",
    label: label,
    outline_style: style.outlineStyle,
    outline_width: parseFloat(style.outlineWidth) || 0,
    outline_color: style.outlineColor,
    box_shadow: style.boxShadow,
    background: background,
  };
}
"""

UNFOCUSED_STYLES = """
() => {
  if (document.activeElement) document.activeElement.blur();
  return (window.__focusStops || []).map((element) => {
    const style = getComputedStyle(element);
    return [style.outlineStyle, parseFloat(style.outlineWidth) || 0,
            style.outlineColor, style.boxShadow];
  });
}
"""

FOCUS_RESET = """
() => {
  window.__focusStops = [];
  if (document.activeElement) document.activeElement.blur();
  window.scrollTo(0, 0);
}
"""

# Media controls draw their own focus rings inside the browser's shadow tree.
OWN_FOCUS_RING = ("video", "audio")
# WCAG 1.4.11: a focus indicator, like any other visual cue, needs 3:1 against what
# is next to it.
FOCUS_CONTRAST = 3.0


@dataclass(frozen=True)
class Violation:
    rule: str
    impact: str
    help: str
    help_url: str
    targets: list[str]
    summary: str

    def describe(self) -> str:
        """Rule, impact, where and why, and where to read more, for a failure message."""
        targets = "\n".join(f"      {target}" for target in self.targets[:10])
        more = len(self.targets) - 10
        if more > 0:
            targets += f"\n      … and {more} more"
        summary = " ".join(self.summary.split())
        return (
            f"  - {self.rule} ({self.impact}): {self.help}\n"
            f"    {self.help_url}\n"
            f"    elements:\n{targets}\n"
            f"    first: {summary}"
        )


@dataclass(frozen=True)
class FocusStop:
    """One element Tab reached, with its look focused and unfocused."""

    tag: str
    type: str
    label: str
    focused: tuple
    unfocused: tuple
    background: str

    @property
    def name(self) -> str:
        kind = f"{self.tag}[type={self.type}]" if self.type else self.tag
        return f"{kind} {self.label!r}"

    def problem(self) -> str:
        """Why its focus is not visible enough, or "" when it is."""
        if self.tag in OWN_FOCUS_RING:
            return ""
        outline_style, outline_width, outline_color, box_shadow = self.focused
        has_outline = outline_style != "none" and outline_width > 0
        has_shadow = box_shadow != "none"
        if not (has_outline or has_shadow):
            return f"{self.name}: no outline or box-shadow when focused"
        if self.focused == self.unfocused:
            return f"{self.name}: looks the same focused and unfocused ({self.focused})"
        # "auto" is the browser's own two-tone ring, visible on any background.
        if has_outline and outline_style != "auto":
            ratio = indicator_contrast(outline_color, self.background)
            if ratio is not None and ratio < FOCUS_CONTRAST:
                return (
                    f"{self.name}: focus outline {outline_color} on {self.background} "
                    f"has contrast {ratio:.2f}:1, below {FOCUS_CONTRAST}:1"
                )
        return ""


def load_axe() -> str | None:
    """axe-core's source, or None when `make axe` has not installed it."""
    if not AXE_SCRIPT.exists():
        return None
    return AXE_SCRIPT.read_text(encoding="utf-8")


def run_axe(page, axe_source: str) -> list[Violation]:
    """Every axe-core violation on the page as it is now."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(axe_source)
    return [Violation(**found) for found in page.evaluate(RUN_AXE)]


def failing(violations: list[Violation]) -> list[Violation]:
    return [v for v in violations if v.impact in FAILING_IMPACTS]


def tab_through(page, limit: int = 40) -> list[FocusStop]:
    """Press Tab from the top of the page and record each element focus lands on.

    Real key presses, so :focus-visible applies as it does for a keyboard user. Stops
    when focus comes round again, leaves the page, or after `limit` elements.
    """
    page.evaluate(FOCUS_RESET)
    focused: list[dict] = []
    for _ in range(limit):
        page.keyboard.press("Tab")
        stop = page.evaluate(RECORD_FOCUSED)
        if stop is None:
            break
        if stop["index"] == -1:
            # Media controls keep focus on the <video> while Tab walks its buttons.
            if focused and focused[-1]["tag"] in OWN_FOCUS_RING:
                continue
            break
        focused.append(stop)
    unfocused = page.evaluate(UNFOCUSED_STYLES)
    return [
        FocusStop(
            tag=stop["tag"],
            type=stop["type"],
            label=" ".join(stop["label"].split()),
            focused=(
                stop["outline_style"],
                stop["outline_width"],
                stop["outline_color"],
                stop["box_shadow"],
            ),
            unfocused=tuple(unfocused[stop["index"]]),
            background=stop["background"],
        )
        for stop in focused
    ]


def progress_bar_names(page) -> list[str]:
    """The accessible name of every progress bar, as the accessibility tree has it."""
    names = []
    for bar in page.get_by_role("progressbar").all():
        snapshot = bar.aria_snapshot().strip()
        # `- progressbar "Progress": 42%`: the quoted part is the name.
        first = snapshot.splitlines()[0] if snapshot else ""
        start, end = first.find('"'), first.rfind('"')
        names.append(first[start + 1 : end] if 0 <= start < end else "")
    return names


def _channels(color: str) -> tuple[float, float, float, float] | None:
    """(r, g, b, alpha) of a computed `rgb()`/`rgba()` colour; None for other forms."""
    if not color.startswith("rgb"):
        return None
    inside = color[color.find("(") + 1 : color.rfind(")")]
    parts = inside.replace("/", " ").replace(",", " ").split()
    try:
        values = [float(part) for part in parts]
    except ValueError:
        return None
    if len(values) == 3:
        values.append(1.0)
    if len(values) < 4:
        return None
    red, green, blue, alpha = values[:4]
    return red, green, blue, alpha


def _luminance(red: float, green: float, blue: float) -> float:
    def linear(channel: float) -> float:
        channel /= 255
        if channel <= 0.04045:
            return channel / 12.92
        return ((channel + 0.055) / 1.055) ** 2.4

    return 0.2126 * linear(red) + 0.7152 * linear(green) + 0.0722 * linear(blue)


def indicator_contrast(color: str, background: str) -> float | None:
    """WCAG contrast ratio of `color`, laid over the opaque `background`, against it."""
    fore, back = _channels(color), _channels(background)
    if fore is None or back is None:
        return None
    alpha = fore[3]
    shown = [alpha * f + (1 - alpha) * b for f, b in zip(fore[:3], back[:3])]
    lighter, darker = sorted((_luminance(*shown), _luminance(*back[:3])), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)

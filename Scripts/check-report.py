#!/usr/bin/env python3
"""Check rendered Loupe reports in headless Chromium; CI runs it on every rendered report.

    python3 Scripts/check-report.py REPORT.html [REPORT2.html ...]
        [--screenshot OUT.png] [--min-images N] [--timeout SECONDS]
        [--chromium PATH] [--expect-text TEXT ...]

Loupe's reports are meant to be self-contained: every image is a data: PNG, and
opening the file must not touch the network. For each file this script starts
a fresh headless Chromium (own temporary profile), opens the file in a new tab,
and fails the file when:

1. images: some <img> did not decode, i.e. after the load event (plus a short
   settle) `img.complete && img.naturalWidth > 0` does not hold, or
   `img.decode()` rejects; the broken ones are named by index and alt text.
   Chromium draws a truncated or corrupted PNG as far as it can and still
   calls it complete with the header's size, so data: PNGs are also checked
   here: valid base64, every chunk's CRC, a zlib stream that ends and inflates
   to exactly what the header announces, and a header size matching what the
   browser decoded.
   Images with loading="lazy" are switched to eager first, so that images
   below the fold are checked too. Fewer than --min-images <img> elements
   (default 0) is also a failure.
2. network: the page asked for anything other than data: URLs and its own
   file: URL (http, https, ws, other file: URLs, blob:, ...). This comes from
   Chromium itself: Network.requestWillBeSent and Network.webSocketCreated
   events of the page's own DevTools session and of any worker or frame
   session auto-attached beneath it. Requests that Chromium makes on its own
   (component updates and the like) arrive on no page session and are not
   counted. As a belt, the browser resolves no host names
   (--host-resolver-rules="MAP * ~NOTFOUND") and sends all HTTP(S)/WS traffic
   to a proxy on a closed loopback port, so nothing leaves the machine even
   when a report is broken.
3. blank: a screenshot 1280 CSS pixels wide and as tall as the page (capped at
   16384) is (near) uniform: fewer than 5 distinct colours, or the pixel
   standard deviation of every channel below 1.0 (0-255 scale). The
   screenshot is saved to --screenshot when given: to that path for a single
   report, and to OUT-1.png, OUT-2.png, ... (one per report, in argument
   order) for several. It is saved whether or not the report passes, so CI
   can keep it as an artifact.
4. probes: each picture that carries its values (heatmaps and feature-map
   tiles: `img.probed` with a grey PNG in data-values between data-low and
   data-high, and a data-label such as "channel 12") is scrolled into view
   and the mouse is moved over it (Input.dispatchMouseEvent, a real pointer
   event); the line of its figure must then name the label, the pixel under
   the pointer and its value, as computed here from the PNG's bytes. A map whose values
   the page's script never read, or a wrong pixel or value, fails the file.
5. console: a console.error/console.assert, an uncaught exception, or an
   error-level browser log entry (this is where Content-Security-Policy
   violations and failed loads are reported: a report carrying
   `default-src 'none'; img-src data:` that trips its CSP tried to load
   something), or a JavaScript dialog.
6. active content: a <script> whose SHA-256 the page's CSP does not list, an
   on* attribute, a javascript:/vbscript: URL or an HTML data: URL in any URL
   attribute, or an iframe/object/embed/form/base/refresh element: whatever a
   notebook, a file name, a label or an error message put into the report
   must arrive as text. With --expect-text TEXT (repeatable), TEXT must be in
   the page's visible text, literally.

The screenshot is analysed with Pillow (Debian's python3-pil) when it can be
imported; otherwise a second, quarter-scale screenshot is decoded by a small
pure-Python PNG reader, so the script also runs under an interpreter without
Pillow (e.g. a pyenv python3 ahead of /usr/bin/python3 on PATH).

The DevTools protocol is spoken over --remote-debugging-pipe (NUL-terminated
JSON, file descriptor 3 into Chromium and 4 out of it), so nothing beyond the
standard library is needed and no debugging port is opened. Each file has a
time limit (--timeout, default 60 s) covering browser start, load and checks;
the browser and its process group are always killed afterwards.

Output: on success one line per file, e.g.

    check-report: Output/sample.html: 12 images decoded, 0 network requests, screenshot 1280x3400 non-blank

otherwise one line per problem, `check-report: FILE: ...`. Exit status: 0 when
every file passes, 1 when any file fails (including a page that does not load
in time), 2 when the check itself cannot run (usage error, Chromium missing or
not starting).

Chromium: /usr/bin/chromium (Debian 12: `apt-get install -y chromium`), or
--chromium / $CHROMIUM. It runs with --no-sandbox because CI runs as root.
"""

import argparse
import base64
import fcntl
import hashlib
import json
import math
import os
import re
import select
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time
import urllib.parse
import zlib
from pathlib import Path

PROG = "check-report"
VIEWPORT_WIDTH = 1280
VIEWPORT_HEIGHT = 800
MAX_SCREENSHOT_HEIGHT = 16384
MIN_DISTINCT_COLOURS = 5  # fewer distinct colours than this: blank
MIN_STDDEV = 1.0  # every channel's pixel standard deviation below this: blank
SETTLE_SECONDS = 0.5  # quiet time wanted after the load event
MAX_SETTLE_SECONDS = 3.0
FALLBACK_SCALE = 0.25  # screenshot scale for the pure-Python blank check

CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--metrics-recording-only",
    "--disable-features=Translate,OptimizationHints,MediaRouter",
    "--disable-extensions",
    "--disable-dev-shm-usage",
    "--hide-scrollbars",
    "--mute-audio",
    "--remote-debugging-pipe",
    # Belts: nothing resolves, HTTP(S)/WS goes to a closed loopback port
    # (loopback included), no WebRTC UDP to IP literals.
    "--host-resolver-rules=MAP * ~NOTFOUND",
    "--proxy-server=http://127.0.0.1:9",
    "--proxy-bypass-list=<-loopback>",
    "--force-webrtc-ip-handling-policy=disable_non_proxied_udp",
]


class CheckError(Exception):
    """The file could not be checked (page did not load, browser died, time out)."""


class LaunchError(Exception):
    """Chromium could not be started at all."""


class Deadline(Exception):
    pass


# ---------------------------------------------------------------------------
# DevTools protocol over --remote-debugging-pipe


def _high_fd(fd):
    """Move fd above 9 so the child's dup2 onto 3 and 4 never collides with it."""
    new = fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10)
    os.close(fd)
    return new


class Browser:
    def __init__(self, executable, headless_flag, deadline):
        self.deadline = deadline
        self.profile = tempfile.mkdtemp(prefix="check-report-")
        self.stderr_path = os.path.join(self.profile, "chromium.stderr")
        to_chrome_r, to_chrome_w = map(_high_fd, os.pipe())
        from_chrome_r, from_chrome_w = map(_high_fd, os.pipe())

        def child_fds():
            os.dup2(to_chrome_r, 3)
            os.dup2(from_chrome_w, 4)

        args = [executable, headless_flag, *CHROMIUM_FLAGS,
                f"--user-data-dir={self.profile}", "about:blank"]
        self.proc = None
        try:
            with open(self.stderr_path, "wb") as err:
                self.proc = subprocess.Popen(
                    args, stdin=subprocess.DEVNULL, stdout=err, stderr=err,
                    close_fds=False, preexec_fn=child_fds, start_new_session=True)
        except OSError as e:
            for fd in (to_chrome_r, to_chrome_w, from_chrome_r, from_chrome_w):
                os.close(fd)
            shutil.rmtree(self.profile, ignore_errors=True)
            raise LaunchError(f"cannot run {executable}: {e}") from e
        os.close(to_chrome_r)
        os.close(from_chrome_w)
        self.wfd = to_chrome_w
        self.rfd = from_chrome_r
        self.buf = b""
        self.next_id = 0
        self.responses = {}
        self.events = []  # (sessionId or None, method, params), in arrival order
        self.closed = False

    # -- transport

    def _remaining(self):
        return self.deadline - time.monotonic()

    def _read_some(self, timeout):
        """Read what Chromium sent within timeout; parse complete messages."""
        timeout = max(0.0, min(timeout, self._remaining()))
        ready, _, _ = select.select([self.rfd], [], [], timeout)
        if not ready:
            return
        chunk = os.read(self.rfd, 1 << 20)
        if not chunk:
            raise CheckError("Chromium closed the DevTools pipe (crashed or exited)"
                             + self.stderr_tail())
        self.buf += chunk
        while b"\0" in self.buf:
            raw, self.buf = self.buf.split(b"\0", 1)
            msg = json.loads(raw)
            if "id" in msg:
                self.responses[msg["id"]] = msg
            else:
                self.events.append((msg.get("sessionId"), msg.get("method"), msg.get("params", {})))

    def send(self, method, params=None, session=None):
        self.next_id += 1
        msg = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        data = json.dumps(msg).encode() + b"\0"
        try:
            while data:
                data = data[os.write(self.wfd, data):]
        except BrokenPipeError as e:
            raise CheckError("Chromium closed the DevTools pipe (crashed or exited)"
                             + self.stderr_tail()) from e
        return self.next_id

    def call(self, method, params=None, session=None, timeout=None):
        msg_id = self.send(method, params, session)
        limit = time.monotonic() + timeout if timeout else self.deadline
        while msg_id not in self.responses:
            if time.monotonic() >= min(limit, self.deadline):
                if time.monotonic() >= self.deadline:
                    raise Deadline(f"timed out waiting for {method}")
                raise CheckError(f"no answer to {method} within {timeout:g} s")
            self._read_some(min(limit, self.deadline) - time.monotonic())
        msg = self.responses.pop(msg_id)
        if "error" in msg:
            raise CheckError(f"{method} failed: {msg['error'].get('message')}")
        return msg.get("result", {})

    def pump(self, seconds):
        """Read and queue events for up to `seconds`."""
        end = min(time.monotonic() + seconds, self.deadline)
        while time.monotonic() < end:
            self._read_some(end - time.monotonic())
        if time.monotonic() >= self.deadline:
            raise Deadline("timed out")

    def take_events(self):
        events, self.events = self.events, []
        return events

    def stderr_tail(self):
        try:
            with open(self.stderr_path, "rb") as f:
                lines = f.read().decode(errors="replace").strip().splitlines()
        except OSError:
            return ""
        lines = [l for l in lines if l.strip()][-3:]
        return (": " + " | ".join(lines)) if lines else ""

    # -- teardown

    def close(self):
        if self.closed:
            return
        self.closed = True
        if self.proc is not None and self.proc.poll() is None:
            try:
                self.send("Browser.close")
            except Exception:
                pass
        for fd in (self.wfd, self.rfd):
            try:
                os.close(fd)
            except OSError:
                pass
        if self.proc is not None:
            try:
                self.proc.wait(timeout=3)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
            # Chromium's helpers (zygote, renderers) share its new session's
            # process group; make sure none outlives the check.
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        shutil.rmtree(self.profile, ignore_errors=True)


def start_browser(executable, deadline):
    """Start Chromium with --headless=new, falling back to --headless."""
    errors = []
    for flag in ("--headless=new", "--headless"):
        browser = Browser(executable, flag, min(deadline, time.monotonic() + 20))
        try:
            browser.call("Browser.getVersion", timeout=15)
            browser.deadline = deadline
            return browser
        except (CheckError, Deadline) as e:
            tail = "" if "pipe" in str(e) else browser.stderr_tail()  # pipe errors carry it already
            errors.append(f"{flag}: {e}{tail}")
            browser.close()
    raise LaunchError("Chromium did not start (" + "; ".join(errors) + ")")


# ---------------------------------------------------------------------------
# The page


IMAGES_JS = r"""
(async () => {
  const imgs = Array.from(document.images);
  for (const im of imgs) if (im.loading === 'lazy') im.loading = 'eager';
  const settled = (im) => im.complete ? Promise.resolve() :
      new Promise((res) => { im.addEventListener('load', res, {once: true});
                             im.addEventListener('error', res, {once: true}); });
  const timeout = new Promise((res) => setTimeout(res, 3000));
  await Promise.race([Promise.all(imgs.map(settled)), timeout]);
  const out = [];
  for (let i = 0; i < imgs.length; i++) {
    const im = imgs[i];
    let decodeError = null;
    if (im.complete && im.naturalWidth > 0) {
      try { await Promise.race([im.decode(), timeout]); }
      catch (e) { decodeError = String(e && e.message || e); }
    }
    const src = im.currentSrc || im.getAttribute('src') || '';
    out.push({index: i, alt: im.getAttribute('alt'), src: src.slice(0, 60),
              data: src.startsWith('data:') ? src : null,
              complete: im.complete, naturalWidth: im.naturalWidth, naturalHeight: im.naturalHeight,
              decodeError});
  }
  return out;
})()
"""

PROBE_JS = r"""
((index) => {
  const map = document.querySelectorAll('img.probed')[index];
  map.scrollIntoView({block: 'center'});
  const box = map.getBoundingClientRect();
  return {ready: map.dataset.ready === '1', values: map.dataset.values, low: parseFloat(map.dataset.low),
          label: map.dataset.label || null,
          high: parseFloat(map.dataset.high), left: box.left, top: box.top, width: box.width, height: box.height};
})"""

PROBE_TEXT_JS = r"""
((index) => document.querySelectorAll('img.probed')[index].closest('figure').querySelector('output.probe').textContent)"""


def page_url_key(url):
    """URL without fragment, for comparing a request with the page's own URL."""
    return urllib.parse.urldefrag(url)[0]


def describe_image(img):
    alt = img.get("alt")
    label = f'image #{img["index"] + 1}'
    if alt:
        label += f' (alt "{alt}")'
    elif img.get("src"):
        label += f' (src "{img["src"]}...")'
    return label


def short(text, n=160):
    text = " ".join(str(text).split())
    return text if len(text) <= n else text[: n - 3] + "..."


DOM_JS = r"""
(() => {
  const problems = [];
  const urlAttributes = ["href", "src", "action", "formaction", "xlink:href", "poster", "background", "srcset", "data"];
  for (const element of document.querySelectorAll("*")) {
    const tag = element.tagName.toLowerCase();
    if (["iframe", "frame", "object", "embed", "form", "base", "applet"].includes(tag)) problems.push(`<${tag}>`);
    if (tag === "meta" && (element.getAttribute("http-equiv") || "").toLowerCase() === "refresh") problems.push("<meta http-equiv=refresh>");
    for (const attribute of element.attributes) {
      const name = attribute.name.toLowerCase();
      const value = attribute.value.replace(/[\u0000-\u0020]/g, "").toLowerCase();
      if (name.startsWith("on")) problems.push(`<${tag} ${name}="${attribute.value}">`);
      if (urlAttributes.includes(name) && (value.startsWith("javascript:") || value.startsWith("vbscript:")
          || (value.startsWith("data:") && !value.startsWith("data:image/png") && !value.startsWith("data:image/jpeg")))) {
        problems.push(`<${tag} ${name}="${attribute.value.slice(0, 80)}">`);
      }
    }
  }
  const csp = [...document.querySelectorAll("meta[http-equiv]")]
    .filter(m => m.getAttribute("http-equiv").toLowerCase() === "content-security-policy").map(m => m.content).join(" ");
  return {problems, csp, scripts: [...document.scripts].map(s => s.text), text: document.body ? document.body.innerText : ""};
})()
"""


class PageCheck:
    def __init__(self, browser, path):
        self.browser = browser
        self.path = path
        self.url = Path(path).resolve().as_uri()
        self.sessions = set()
        self.problems = []
        self.requests = []  # offending request descriptions
        self.request_count = 0  # every request other than data: and the page itself
        self.load_fired = False
        self.last_activity = time.monotonic()

    def handle_events(self):
        b = self.browser
        for session, method, params in b.take_events():
            if method == "Target.attachedToTarget" and session in self.sessions:
                child = params["sessionId"]
                self.sessions.add(child)
                for m in ("Network.enable", "Runtime.enable", "Log.enable"):
                    b.send(m, session=child)
                b.send("Target.setAutoAttach", {"autoAttach": True, "waitForDebuggerOnStart": True,
                                                "flatten": True}, session=child)
                b.send("Runtime.runIfWaitingForDebugger", session=child)
                continue
            if session not in self.sessions:
                continue  # the browser's own business, not this page's
            if method == "Page.loadEventFired":
                self.load_fired = True
            elif method == "Network.requestWillBeSent":
                self.last_activity = time.monotonic()
                url = params.get("request", {}).get("url", "")
                if url.startswith("data:") or page_url_key(url) == page_url_key(self.url):
                    continue
                self.request_count += 1
                kind = params.get("type") or "request"
                self.requests.append(f"network request ({kind}) to {short(url, 120)}")
            elif method == "Network.webSocketCreated":
                self.last_activity = time.monotonic()
                self.request_count += 1
                self.requests.append(f"WebSocket opened to {short(params.get('url', ''), 120)}")
            elif method == "Runtime.consoleAPICalled":
                if params.get("type") in ("error", "assert"):
                    args = " ".join(str(a.get("value", a.get("description", ""))) for a in params.get("args", []))
                    self.problems.append(f"console.{params['type']}: {short(args)}")
            elif method == "Runtime.exceptionThrown":
                d = params.get("exceptionDetails", {})
                text = d.get("exception", {}).get("description") or d.get("text", "")
                self.problems.append(f"uncaught exception: {short(text)}")
            elif method == "Log.entryAdded":
                e = params.get("entry", {})
                if e.get("level") == "error":
                    where = f" ({short(e['url'], 80)})" if e.get("url") else ""
                    self.problems.append(f"console error [{e.get('source', '?')}]: {short(e.get('text', ''))}{where}")
            elif method == "Page.javascriptDialogOpening":
                self.problems.append(f"JavaScript {params.get('type', 'dialog')}: {short(params.get('message', ''))}")
                b.send("Page.handleJavaScriptDialog", {"accept": True}, session=session)

    def pump(self, seconds):
        self.browser.pump(seconds)
        self.handle_events()

    def run(self, min_images, expected_text=()):
        b = self.browser
        target = b.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = b.call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        self.sessions.add(session)
        for m in ("Page.enable", "Network.enable", "Runtime.enable", "Log.enable"):
            b.call(m, session=session)
        b.call("Target.setAutoAttach", {"autoAttach": True, "waitForDebuggerOnStart": True, "flatten": True},
               session=session)
        b.call("Emulation.setDeviceMetricsOverride", {"width": VIEWPORT_WIDTH, "height": VIEWPORT_HEIGHT,
                                                      "deviceScaleFactor": 1, "mobile": False}, session=session)
        self.handle_events()  # drop anything about about:blank
        self.requests.clear()
        self.problems.clear()
        self.request_count = 0

        nav = b.call("Page.navigate", {"url": self.url}, session=session)
        if nav.get("errorText"):
            raise CheckError(f"page did not load: {nav['errorText']}")
        self.handle_events()
        while not self.load_fired:
            self.pump(0.1)
        # Settle: wait until nothing new was requested for SETTLE_SECONDS.
        settle_end = time.monotonic() + MAX_SETTLE_SECONDS
        self.last_activity = time.monotonic()
        while time.monotonic() < settle_end and time.monotonic() - self.last_activity < SETTLE_SECONDS:
            self.pump(0.1)

        images = b.call("Runtime.evaluate", {"expression": IMAGES_JS, "awaitPromise": True,
                                             "returnByValue": True}, session=session)
        if "exceptionDetails" in images:
            raise CheckError("could not inspect images: "
                             + short(images["exceptionDetails"].get("text", "")))
        images = images["result"]["value"]
        self.handle_events()
        broken = 0
        for img in images:
            if not img["complete"]:
                self.problems.append(f"{describe_image(img)} did not finish loading")
                broken += 1
            elif img["naturalWidth"] <= 0:
                self.problems.append(f"{describe_image(img)} did not decode (naturalWidth 0)")
                broken += 1
            elif img["decodeError"]:
                self.problems.append(f"{describe_image(img)} did not decode: {short(img['decodeError'])}")
                broken += 1
            elif img.get("data"):
                error = check_data_image(img["data"], img["naturalWidth"], img["naturalHeight"])
                if error:
                    self.problems.append(f"{describe_image(img)} did not decode: {error}")
                    broken += 1
        if len(images) < min_images:
            self.problems.append(f"only {len(images)} images, expected at least {min_images}")
        self.check_probes(session)
        self.check_dom(session, expected_text)

        # Screenshot: 1280 wide, as tall as the page (capped).
        metrics = b.call("Page.getLayoutMetrics", session=session)
        size = metrics.get("cssContentSize") or metrics.get("contentSize") or {}
        height = max(1, min(MAX_SCREENSHOT_HEIGHT, math.ceil(size.get("height", VIEWPORT_HEIGHT))))
        shot = self.capture(session, height, 1)
        width_px, height_px = png_size(shot)
        small = None if HAVE_PIL else self.capture(session, height, FALLBACK_SCALE)
        self.pump(0.05)
        self.problems.extend(self.requests)
        return images, broken, shot, (width_px, height_px), small

    def evaluate(self, session, expression):
        result = self.browser.call("Runtime.evaluate", {"expression": expression, "returnByValue": True},
                                   session=session)
        if "exceptionDetails" in result:
            raise CheckError("could not evaluate: " + short(result["exceptionDetails"].get("text", "")))
        return result["result"]["value"]

    def check_dom(self, session, expected_text):
        """No active content but Loupe's own: every <script> is one the page's CSP allows by hash,
        no element has an on* attribute, no URL attribute is javascript:, vbscript: or an HTML
        data: URL, no frame, object, embed, form, base or refresh; and each expected text (a
        hostile string a notebook put there) is shown literally."""
        found = self.evaluate(session, DOM_JS)
        for problem in found["problems"]:
            self.problems.append(f"active content in the DOM: {short(problem)}")
        allowed = set(re.findall(r"'sha256-([A-Za-z0-9+/=]+)'", found["csp"]))
        for script in found["scripts"]:
            digest = base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode()
            if digest not in allowed:
                self.problems.append(f"a <script> the CSP does not allow by hash: {short(script)}")
        for text in expected_text:
            if text not in found["text"]:
                self.problems.append(f"the text {text!r} is not shown literally")

    def check_probes(self, session):
        """Move the pointer over each probed heatmap and check the value line under it."""
        count = self.evaluate(session, "document.querySelectorAll('img.probed').length")
        self.probes_checked = 0
        for index in range(count):
            probe = None
            for _ in range(50):  # the script reads each value grid once it has decoded
                probe = self.evaluate(session, f"{PROBE_JS}({index})")
                if probe["ready"]:
                    break
                self.pump(0.1)
            if not probe["ready"]:
                self.problems.append(f"probed picture {index}: the page never read its values (did the probe script run?)")
                continue
            width, _, rows = png_pixels(data_url_bytes(probe["values"])[1])
            height = len(rows)
            # Integer viewport coordinates, as the page's pointer events see them. The pointer first
            # leaves the picture (so that the move onto it is an event even where the last picture
            # sat at the same place) and the box is measured after that, then again after the move:
            # a page that moves under the pointer fails.
            self.browser.call("Input.dispatchMouseEvent", {"type": "mouseMoved", "x": 0, "y": 0}, session=session)
            self.pump(0.05)
            probe = self.evaluate(session, f"{PROBE_JS}({index})")
            x = math.floor(probe["left"] + probe["width"] * 0.37)
            y = math.floor(probe["top"] + probe["height"] * 0.61)
            self.browser.call("Input.dispatchMouseEvent", {"type": "mouseMoved", "x": x, "y": y}, session=session)
            self.pump(0.05)
            text = self.evaluate(session, f"{PROBE_TEXT_JS}({index})")
            moved = self.evaluate(session, f"{PROBE_JS}({index})")
            if abs(moved["top"] - probe["top"]) >= 0.5 or abs(moved["left"] - probe["left"]) >= 0.5:
                self.problems.append(f"probed picture {index}: the page moved under the pointer "
                                     f"(top {probe['top']:.2f} -> {moved['top']:.2f})")
            # The script's own arithmetic: floor((clientX - box.left) / box.width * width).
            px = min(width - 1, max(0, math.floor((x - probe["left"]) / probe["width"] * width)))
            py = min(height - 1, max(0, math.floor((y - probe["top"]) / probe["height"] * height)))
            value = probe["low"] + rows[py][px] * (probe["high"] - probe["low"]) / 255
            shown = re.search(r"pixel \((\d+), (\d+)\): (\S+) ±", text)
            label_ok = probe["label"] is None or text.startswith(probe["label"] + " · ")
            if (not shown or not label_ok or int(shown[1]) != px or int(shown[2]) != py
                    or abs(float(shown[3]) - value) > 1e-3 * abs(value) + 1e-30):
                self.problems.append(f"probed picture {index}: pointer at pixel ({px}, {py}) shows '{short(text)}', "
                                     f"expected {probe['label'] or 'no label'} and the value {value:.4g}")
            self.probes_checked += 1

    def capture(self, session, height, scale):
        result = self.browser.call("Page.captureScreenshot", {
            "format": "png", "captureBeyondViewport": True, "fromSurface": True,
            "clip": {"x": 0, "y": 0, "width": VIEWPORT_WIDTH, "height": height, "scale": scale}},
            session=session)
        return base64.b64decode(result["data"])


# ---------------------------------------------------------------------------
# data: images
#
# Chromium draws a truncated or corrupted PNG as far as it gets and still
# reports it complete with its header's size, so `complete && naturalWidth > 0`
# alone misses a damaged payload. data: PNGs are therefore also checked here:
# base64, chunk structure and CRCs, and a zlib stream that ends and inflates to
# exactly the size the header announces.


def data_url_bytes(url):
    header, sep, payload = url.partition(",")
    if not sep:
        raise ValueError("data: URL without a comma")
    raw = urllib.parse.unquote_to_bytes(payload)
    if not header.lower().endswith(";base64"):
        return header, raw
    text = b"".join(raw.split())  # forgiving base64: ASCII whitespace is ignored
    if len(text) % 4 == 0:
        text = text[:-2] if text.endswith(b"==") else text[:-1] if text.endswith(b"=") else text
    if len(text) % 4 == 1:
        raise ValueError("base64 payload has an impossible length")
    try:
        return header, base64.b64decode(text + b"=" * (-len(text) % 4), validate=True)
    except ValueError as e:
        raise ValueError(f"base64 payload is invalid ({e})") from e


ADAM7 = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]


def png_problem(data):
    """None for a structurally sound PNG, else what is wrong with it."""
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        return "not a PNG (bad signature)"
    pos, chunks, idat = 8, [], []
    while True:
        if pos + 8 > len(data):
            return "PNG truncated (no IEND chunk)"
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        if pos + 12 + length > len(data):
            return f"PNG truncated inside its {kind.decode('latin-1')} chunk"
        body = data[pos + 8:pos + 8 + length]
        (crc,) = struct.unpack(">I", data[pos + 8 + length:pos + 12 + length])
        if zlib.crc32(kind + body) != crc:
            return f"PNG {kind.decode('latin-1')} chunk fails its CRC"
        chunks.append(kind)
        if kind == b"IDAT":
            if idat and chunks[-2] != b"IDAT":
                return "PNG IDAT chunks are not consecutive"
            idat.append(body)
        pos += 12 + length
        if kind == b"IEND":
            break
    if chunks[0] != b"IHDR":
        return "PNG does not start with IHDR"
    width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", data[16:29])
    channels = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}.get(colour)
    if channels is None or width == 0 or height == 0 or interlace > 1:
        return f"PNG header is invalid ({width}x{height}, colour type {colour}, interlace {interlace})"
    if colour == 3 and b"PLTE" not in chunks:
        return "palette PNG without a PLTE chunk"
    if not idat:
        return "PNG has no image data (IDAT)"
    inflater = zlib.decompressobj()
    try:
        raw = inflater.decompress(b"".join(idat))
    except zlib.error as e:
        return f"PNG image data does not inflate ({e})"
    if not inflater.eof:
        return "PNG image data is truncated (zlib stream does not end)"
    bits = channels * depth
    passes = ADAM7 if interlace else [(0, 0, 1, 1)]
    expected = 0
    for x0, y0, dx, dy in passes:
        w = (width - x0 + dx - 1) // dx if width > x0 else 0
        h = (height - y0 + dy - 1) // dy if height > y0 else 0
        if w and h:
            expected += h * (1 + (w * bits + 7) // 8)
    if len(raw) != expected:
        return f"PNG image data inflates to {len(raw)} bytes, header implies {expected}"
    if not interlace and max(raw[0::1 + (width * bits + 7) // 8]) > 4:
        return "PNG image data has an invalid row filter"
    return None


def check_data_image(url, natural_width, natural_height):
    """None when a data: image is sound (or not a PNG, left to Chromium), else the problem."""
    try:
        header, data = data_url_bytes(url)
    except ValueError as e:
        return str(e)
    if not (header.lower().startswith("data:image/png") or data[:4] == b"\x89PNG"):
        return None
    problem = png_problem(data)
    if problem:
        return problem
    size = struct.unpack(">II", data[16:24])
    if size != (natural_width, natural_height):
        return f"PNG header says {size[0]}x{size[1]}, browser decoded {natural_width}x{natural_height}"
    return None


# ---------------------------------------------------------------------------
# Screenshot analysis

try:
    from PIL import Image, ImageStat  # Debian: python3-pil
    HAVE_PIL = True
except ImportError:
    HAVE_PIL = False


def png_size(data):
    if data[:8] != b"\x89PNG\r\n\x1a\n" or data[12:16] != b"IHDR":
        raise CheckError("screenshot is not a PNG")
    return struct.unpack(">II", data[16:24])


def png_pixels(data):
    """Decode an 8-bit, non-interlaced RGB/RGBA/grey PNG: (width, channels, rows of bytes)."""
    pos, idat, ihdr = 8, [], None
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            ihdr = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat.append(body)
        elif kind == b"IEND":
            break
        pos += 12 + length
    width, height, depth, colour, _, _, interlace = ihdr
    channels = {0: 1, 2: 3, 4: 2, 6: 4}.get(colour)
    if depth != 8 or channels is None or interlace:
        raise CheckError(f"screenshot PNG format not supported without Pillow "
                         f"(depth {depth}, colour type {colour}, interlace {interlace})")
    raw = zlib.decompress(b"".join(idat))
    stride = width * channels
    prev = bytearray(stride)
    rows = []
    for y in range(height):
        start = y * (stride + 1)
        ftype = raw[start]
        line = bytearray(raw[start + 1:start + 1 + stride])
        bpp = channels
        if ftype == 1:
            for i in range(bpp, stride):
                line[i] = (line[i] + line[i - bpp]) & 255
        elif ftype == 2:
            for i in range(stride):
                line[i] = (line[i] + prev[i]) & 255
        elif ftype == 3:
            for i in range(stride):
                left = line[i - bpp] if i >= bpp else 0
                line[i] = (line[i] + ((left + prev[i]) >> 1)) & 255
        elif ftype == 4:
            for i in range(stride):
                a = line[i - bpp] if i >= bpp else 0
                b = prev[i]
                c = prev[i - bpp] if i >= bpp else 0
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pred = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
                line[i] = (line[i] + pred) & 255
        rows.append(bytes(line))
        prev = line
    return width, channels, rows


def blankness(full_png, small_png):
    """(distinct colours, capped at 256+; largest per-channel standard deviation)."""
    if HAVE_PIL:
        import io
        im = Image.open(io.BytesIO(full_png)).convert("RGB")
        colours = im.getcolors(maxcolors=256)
        distinct = len(colours) if colours is not None else 257
        return distinct, max(ImageStat.Stat(im).stddev)
    width, channels, rows = png_pixels(small_png)
    colour_channels = 3 if channels >= 3 else 1
    seen = set()
    n = 0
    sums = [0] * colour_channels
    squares = [0] * colour_channels
    for row in rows:
        for x in range(0, len(row), channels):
            px = row[x:x + colour_channels]
            if len(seen) <= 256:
                seen.add(px)
            for c in range(colour_channels):
                v = px[c]
                sums[c] += v
                squares[c] += v * v
            n += 1
    n = max(n, 1)
    std = max(math.sqrt(max(0.0, squares[c] / n - (sums[c] / n) ** 2)) for c in range(colour_channels))
    return len(seen), std


# ---------------------------------------------------------------------------


def screenshot_path(base, index, count):
    if not base or count == 1:
        return base
    p = Path(base)
    return str(p.with_name(f"{p.stem}-{index + 1}{p.suffix or '.png'}"))


def check_file(path, args, deadline):
    """Returns (problems, summary line or None). Raises LaunchError if Chromium cannot start."""
    if not os.path.isfile(path):
        return ["no such file"], None
    browser = start_browser(args.chromium, deadline)
    try:
        page = PageCheck(browser, path)
        try:
            images, broken, shot, (w, h), small = page.run(args.min_images, args.expect_text)
        except Deadline:
            page.handle_events()
            problems = page.problems + page.requests
            problems.append(f"timed out after {args.timeout:g} s"
                            + ("" if page.load_fired else " (the load event never fired)"))
            return problems, None
        except CheckError as e:
            page.handle_events()
            return page.problems + page.requests + [str(e)], None
    finally:
        browser.close()

    problems = page.problems
    if args.out_shot:
        try:
            Path(args.out_shot).parent.mkdir(parents=True, exist_ok=True)
            Path(args.out_shot).write_bytes(shot)
        except OSError as e:
            problems.append(f"cannot write screenshot {args.out_shot}: {e}")
    distinct, std = blankness(shot, small)
    if distinct < MIN_DISTINCT_COLOURS or std < MIN_STDDEV:
        colours = f"{distinct} distinct colour{'s' if distinct != 1 else ''}"
        problems.append(f"screenshot {w}x{h} is blank ({colours}, pixel standard deviation {std:.2f})")
    summary = (f"{len(images) - broken} images decoded, {page.probes_checked} probed pictures checked, "
               f"{page.request_count} network requests, screenshot {w}x{h} non-blank")
    return problems, summary


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="check-report.py",
        description="Fail self-contained HTML reports whose images do not decode, that touch the "
                    "network, log console errors, or render blank (headless Chromium).")
    parser.add_argument("reports", nargs="+", metavar="REPORT.html")
    parser.add_argument("--screenshot", metavar="OUT.png",
                        help="save the screenshot here (several reports: OUT-1.png, OUT-2.png, ...)")
    parser.add_argument("--min-images", type=int, default=0, metavar="N",
                        help="fail a report with fewer than N <img> elements (default 0)")
    parser.add_argument("--expect-text", action="append", default=[], metavar="TEXT",
                        help="fail a report whose visible text lacks TEXT (repeatable): for hostile strings "
                             "a notebook put in, which must be shown literally")
    parser.add_argument("--timeout", type=float, default=60.0, metavar="SECONDS",
                        help="time limit per report, browser start included (default 60)")
    parser.add_argument("--chromium", default=os.environ.get("CHROMIUM") or shutil.which("chromium")
                        or "/usr/bin/chromium", help="Chromium executable (default: chromium on PATH)")
    args = parser.parse_args(argv)

    def alarm(signum, frame):
        raise Deadline("hard time limit")

    signal.signal(signal.SIGALRM, alarm)
    failed = False
    for i, path in enumerate(args.reports):
        args.out_shot = screenshot_path(args.screenshot, i, len(args.reports))
        deadline = time.monotonic() + args.timeout
        signal.alarm(int(args.timeout) + 15)  # belt, should the deadline bookkeeping ever miss
        try:
            problems, summary = check_file(path, args, deadline)
        except LaunchError as e:
            print(f"{PROG}: {path}: cannot check: {e}", file=sys.stderr)
            return 2
        except Deadline:
            problems, summary = [f"timed out after {args.timeout:g} s (hard limit)"], None
        finally:
            signal.alarm(0)
        if problems:
            failed = True
            for p in problems:
                print(f"{PROG}: {path}: FAIL: {p}")
        else:
            print(f"{PROG}: {path}: {summary}")
    sys.stdout.flush()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

/// The report's style sheet: inline, system fonts only, no `url(…)`.
extension HTMLRenderer {
    static let styleSheet = """
        :root { color-scheme: light; --fg: #1d1f23; --muted: #5f6670; --line: #d9dde3; --bg-soft: #f5f6f8; --accent: #2f5d9e; --bad: #b42318; --bad-bg: #fef3f2; }
        * { box-sizing: border-box; }
        html { -webkit-text-size-adjust: 100%; }
        body { margin: 0; color: var(--fg); background: #fff; font: 16px/1.55 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
        main { max-width: 860px; margin: 0 auto; padding: 1.5rem 1rem 3rem; }
        h1, h2, h3 { line-height: 1.25; }
        .report-title { font-size: 2rem; margin: 0 0 .4rem; }
        .authors { margin: 0; color: var(--muted); }
        .description { margin: .6rem 0 0; }
        .report-header { border-bottom: 1px solid var(--line); padding-bottom: 1rem; margin-bottom: 1rem; }
        .toc { background: var(--bg-soft); border-radius: 6px; padding: .6rem 1rem; margin-bottom: 1.5rem; }
        .toc-title { font-size: 1rem; margin: .2rem 0 .4rem; text-transform: uppercase; letter-spacing: .05em; color: var(--muted); }
        .toc ul { list-style: none; margin: 0; padding: 0; }
        .toc li { margin: .15rem 0; }
        .toc .toc-l2 { padding-left: 1rem; }
        .toc .toc-l3 { padding-left: 2rem; font-size: .95em; }
        a { color: var(--accent); }
        .cell { margin: 1.5rem 0; padding-top: .5rem; border-top: 1px solid var(--line); }
        .cell-heading { margin: .3rem 0 .4rem; }
        .cell-meta { font-size: .8rem; color: var(--muted); display: flex; flex-wrap: wrap; gap: .5rem; align-items: center; }
        .cell-id { font-family: ui-monospace, "SF Mono", Menlo, Consolas, "DejaVu Sans Mono", monospace; }
        .cached, .badge { border-radius: 999px; padding: 0 .5rem; border: 1px solid var(--line); background: var(--bg-soft); }
        .badge.failed { color: var(--bad); border-color: var(--bad); background: var(--bad-bg); }
        details.source { margin: .4rem 0; font-size: .85rem; }
        details.source summary { cursor: pointer; color: var(--muted); }
        pre { overflow-x: auto; background: var(--bg-soft); border-radius: 4px; padding: .6rem .8rem; font: .85rem/1.45 ui-monospace, "SF Mono", Menlo, Consolas, "DejaVu Sans Mono", monospace; white-space: pre; }
        pre code { font: inherit; }
        .prose img { max-width: 100%; height: auto; }
        .figure { margin: 1rem 0; break-inside: avoid; page-break-inside: avoid; }
        .figure.image, .figure.heatmap { display: inline-block; vertical-align: top; margin-right: 1rem; max-width: 100%; }
        .figure.heatmap { width: min(100%, 320px); }
        figcaption { font-size: .875rem; color: var(--muted); margin-top: .35rem; }
        img { max-width: 100%; height: auto; }
        img.plot { display: block; image-rendering: auto; }
        img.map { display: block; width: 100%; max-width: 360px; image-rendering: pixelated; }
        .map-frame { overflow: auto; max-width: 100%; }
        img.probed { cursor: crosshair; }
        img.map.zoomed { cursor: zoom-out; }
        img.map.zoomed { width: 300%; max-width: none; }
        output.probe { display: block; height: 1.4em; margin-top: .2rem; overflow: hidden; white-space: nowrap; text-overflow: ellipsis; font-size: .8rem; color: var(--muted); font-variant-numeric: tabular-nums; }
        .sub { position: relative; }
        .sub output.probe { position: absolute; top: 0; left: 0; margin: 0; padding: .1rem .3rem; max-width: 100%; height: auto; white-space: normal; font-size: .7rem; line-height: 1.25; background: rgba(255, 255, 255, .9); color: var(--fg); pointer-events: none; }
        .sub output.probe:empty { display: none; }
        .images .row { display: flex; flex-wrap: wrap; gap: .75rem; }
        .images .sub { margin: 0; flex: 1 1 160px; max-width: 280px; }
        .images .sub img { width: 100%; image-rendering: pixelated; }
        .images:has(img[alt^="tile: "]) { margin: .3rem 0; }
        .images .row:has(> .sub > img[alt^="tile: "]) { gap: .4rem .5rem; }
        .images .sub:has(> img[alt^="tile: "]) { flex: 0 0 auto; width: min-content; min-width: 3.75rem; max-width: none; }
        .images .sub > img[alt^="tile: "] { width: auto; max-width: none; outline: 1px solid var(--line); }
        .images .sub:has(> img[alt^="tile: "]) figcaption { font-size: .75rem; margin-top: .15rem; line-height: 1.3; }
        figcaption:empty { display: none; }
        svg.chart { display: block; width: 100%; max-width: 640px; height: auto; font-family: inherit; }
        .colorbar { max-width: 360px; margin-top: .35rem; }
        .colorbar img.bar { display: block; width: 100%; height: 12px; }
        .bar-labels { display: flex; justify-content: space-between; font-size: .8rem; font-variant-numeric: tabular-nums; }
        .scroll { overflow-x: auto; }
        table { border-collapse: collapse; font-size: .9rem; }
        th, td { border-bottom: 1px solid var(--line); padding: .3rem .6rem; text-align: left; vertical-align: top; }
        th { background: var(--bg-soft); }
        .error { color: var(--bad); background: var(--bad-bg); border: 1px solid var(--bad); border-left-width: 4px; border-radius: 4px; padding: .6rem .8rem; margin: .8rem 0; white-space: pre-wrap; overflow-wrap: anywhere; }
        .skipped-note { color: var(--muted); font-style: italic; }
        .provenance { margin-top: 3rem; border-top: 1px solid var(--line); padding-top: 1rem; font-size: .85rem; color: var(--muted); }
        .provenance h2 { font-size: 1rem; }
        .provenance table { margin: .5rem 0 1rem; }
        .provenance caption { text-align: left; font-weight: 600; padding: .2rem 0; }
        .provenance code { overflow-wrap: anywhere; font-size: .8rem; }
        @media (max-width: 600px) { body { font-size: 15px; } main { padding: 1rem .75rem 2rem; } .report-title { font-size: 1.6rem; } }
        @media print {
          main { max-width: none; padding: 0; }
          .toc { background: none; border: 1px solid var(--line); }
          details.source { display: none; }
          .figure, .error, table, pre { break-inside: avoid; page-break-inside: avoid; }
          h1, h2, h3 { break-after: avoid; page-break-after: avoid; }
          a { color: inherit; text-decoration: none; }
        }

        """
}

"""The dialog's read-outs as small HTML forms: what a layer says, and what a run did."""

from html import escape

WARNING_STYLE = "color:#b35806"
ERROR_STYLE = "color:#b2182b"


def form_html(rows, warnings=()) -> str:
    """A two-column form (field: value, with where it was read in grey) and warnings."""
    cells = "".join(
        f"<tr><td><b>{escape(field)}</b>&nbsp;</td><td>{escape(value)}"
        + (f" <span style='color:#777'>({escape(source)})</span>" if source else "")
        + "</td></tr>"
        for field, value, source in rows
    )
    notes = "".join(f"<p style='{WARNING_STYLE}'>⚠ {escape(w)}</p>" for w in warnings)
    return f"<div style='font-size:small'><table cellspacing='0' cellpadding='1'>{cells}</table>{notes}</div>"


def summary_html(title: str, log, warnings) -> str:
    """A run's summary: the title, the log lines that tell its story (``run_summary.story``),
    and every warning."""
    lines = [escape(line) for line in log]
    parts = [f"<b>{escape(title)}</b>"]
    if lines:
        parts.append("<br>".join(lines))
    parts += [f"<span style='{WARNING_STYLE}'>⚠ {escape(w)}</span>" for w in warnings]
    return "<br>".join(parts)


def error_html(text: str) -> str:
    return f"<span style='{ERROR_STYLE}'><b>Cannot run:</b> {escape(text)}</span>"

"""Shared by the plot tests: draw a figure to PNG, failing on missing glyphs."""
import io
import warnings


def render(ax):
    """Draw to PNG and fail on missing glyphs (a font without Persian)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        buf = io.BytesIO()
        ax.figure.savefig(buf, format="png")
    assert buf.getvalue()[:4] == b"\x89PNG"

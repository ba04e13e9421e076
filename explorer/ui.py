"""The MarketBERT Explorer Gradio app: `build_demo() -> gr.Blocks` (never launched on import).

Endpoints (all queued; the model ones batched with `batch=True`, up to `max_batch_size` requests per forward pass):

- `/next_products(history, top_k)`: chart + class tables (MarketBERT and the relatedness-density baseline) + items.
- `/surprisal(history, candidate)`: how unexpected a candidate next filing is, per class/item token.
- `/twin_transition(text)`: green and digital scores of a goods/services text, its items highlighted by whether
  they count for the decision, the item scores, and the verdict.
- `/example_firm(name)`: the history (all but the last filing) and the last filing of an example firm.

Bad input raises `gr.Error` with the inference module's message. In a batch, one request's bad input must not fail
the others (Gradio fails a whole batch on an exception): invalid requests of a mixed batch get the message in the
status output instead, and `gr.Error` is raised when every request of the batch is invalid (always the case for a
lone request).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Sequence
from pathlib import Path

import gradio as gr
import pandas as pd

from explorer.history import parse_filing, parse_history
from explorer.inference import (
    MAX_TOP_K,
    Explorer,
    ExplorerConfig,
    NextFilingForecast,
    TwinExplanation,
    check_text,
)

logger = logging.getLogger(__name__)

try:  # ZeroGPU on Hugging Face Spaces: the decorated functions get a GPU for their duration
    from spaces import GPU as gpu  # ImportError too when `spaces` is this repo's folder of Space sources
except ImportError:

    def gpu(fn: Callable) -> Callable:
        return fn


HISTORY_PLACEHOLDER = (
    "One filing per line: DATE | NICE CLASSES | GOODS/SERVICES\n"
    "2015-04-01 | 9, 42 | computer software; cloud computing services\n"
    "2017-11-20 | 35 | advertising; retail services"
)
HISTORY_SYNTAX = (
    "**One filing per line:** `DATE | NICE CLASSES | GOODS/SERVICES`, e.g.\n\n"
    "`2015-04-01 | 9, 42 | computer software; cloud computing services`\n\n"
    "Dates as YYYY-MM-DD (or YYYY-MM); classes 1 to 45; goods/services optional, terms separated by `;`. "
    "An error names the line to fix."
)
TWIN_EXAMPLES = [  # a green, a digital and a neither description, in Nice wording
    "Photovoltaic solar modules; wind turbines for generating electricity; batteries for storing renewable energy; "
    "installation of solar energy systems",
    "Downloadable computer software for data analytics; software as a service [SaaS]; cloud computing; "
    "providing online platforms for artificial intelligence",
    "Clothing, namely shirts, trousers and jackets; footwear; headwear; belts",
]
N_EXAMPLE_FIRMS = 4  # firms offered as one-click examples (the first is shown forecast on load)
CLASS_COLUMNS = ["#", "class", "heading", "P(next)", "density", "filed before"]
# Column widths that fit a 1,280 px window with both tables side by side, and a phone with the tables stacked.
CLASS_WIDTHS = ["6%", "12%", "34%", "16%", "16%", "16%"]
DENSITY_WIDTHS = ["6%", "12%", "46%", "18%", "18%"]
ITEM_WIDTHS = ["10%", "68%", "22%"]
# On a phone: smaller type and tighter cells, so every column of a stacked table fits the screen's width.
PHONE_CSS = """
@media (max-width: 640px) {
  #classes-table .cell-wrap, #density-table .cell-wrap, #items-table .cell-wrap { padding: 3px 2px !important; }
  #classes-table .cell-wrap *, #density-table .cell-wrap *, #items-table .cell-wrap *,
  #classes-table th, #density-table th, #items-table th { font-size: 11px !important; }
}
"""
DENSITY_COLUMNS = ["#", "class", "heading", "density", "filed before"]
ITEM_COLUMNS = ["#", "item", "P(next)"]
CHART_COLUMNS = ["class", "probability", "kind"]
TOKEN_COLUMNS = ["class or item", "surprisal (nats)"]
TWIN_ITEM_COLUMNS = ["item", "P(green)", "P(digital)", "counts for"]
TWIN_COLORS = {"green": "#22c55e", "digital": "#3b82f6", "green + digital": "#14b8a6"}


def _twin_outputs(explanation: TwinExplanation) -> tuple:
    """The Twin transition tab's outputs: scores, highlighted items, item table, and a one-line verdict."""
    highlighted, rows = [], []
    for k, item in enumerate(explanation.items):
        counted = [label for label in ("green", "digital") if item.counted.get(label)]
        highlighted.append((item.item, " + ".join(counted) or None))
        if k < len(explanation.items) - 1:
            highlighted.append(("; ", None))
        probs = [round(item.probs[label], 4) if label in item.probs else None for label in ("green", "digital")]
        rows.append((item.item, *probs, ", ".join(counted)))
    if explanation.unscored:
        note = f"**Unknown:** {explanation.unscored}; the classifiers are trained on English and do not guess."
    else:
        verdicts = []
        for label, decided in explanation.decisions.items():
            n = sum(1 for item in explanation.items if item.counted.get(label))
            share = explanation.min_shares[label]
            verdicts.append(
                f"**{label if decided else 'not ' + label}** ({n} of {len(explanation.items)} items count; "
                f"needs {share:.0%})"
            )
        note = "; ".join(verdicts) + "."
    scores = explanation.scores
    return (
        scores.get("green"),
        scores.get("digital"),
        highlighted,
        pd.DataFrame(rows, columns=TWIN_ITEM_COLUMNS),
        note,
    )


def _run_batch(requests: Sequence[tuple], parse: Callable, compute: Callable, on_error: Callable) -> list:
    """Parse each request, compute the valid ones in one call, and put `on_error(message)` for invalid ones.

    Raises `gr.Error` when no request of the batch is valid.
    """
    parsed, errors = [], []
    for request in requests:
        try:
            parsed.append(parse(*request))
            errors.append(None)
        except ValueError as err:
            parsed.append(None)
            errors.append(str(err))
    valid = [p for p in parsed if p is not None]
    if not valid:
        raise gr.Error(errors[0], print_exception=False)
    try:
        computed = iter(compute(valid))
    except ValueError as err:
        raise gr.Error(str(err), print_exception=False) from err
    return [on_error(e) if e is not None else next(computed) for e in errors]


def _table(headers: list[str], widths: list[str], label: str, elem_id: str) -> gr.Dataframe:
    """A result table whose columns wrap within the screen's width."""
    return gr.Dataframe(headers=headers, label=label, wrap=True, column_widths=widths, elem_id=elem_id)


def _short(text: str, width: int = 28) -> str:
    return text if len(text) <= width else text[: width - 1].rstrip(" ,") + "…"


def _forecast_tables(forecast: NextFilingForecast) -> tuple:
    chart = pd.DataFrame(
        [
            (
                _short(f"{c.nice_class:02d} {c.heading}"),
                round(c.probability, 4),
                "filed before" if c.in_history else "new",
            )
            for c in forecast.classes
        ],
        columns=CHART_COLUMNS,
    )
    classes = pd.DataFrame(
        [
            (r, c.nice_class, c.heading, round(c.probability, 4), round(c.density, 4), c.in_history)
            for r, c in enumerate(forecast.classes, 1)
        ],
        columns=CLASS_COLUMNS,
    )
    density = pd.DataFrame(
        [
            (r, c.nice_class, c.heading, round(c.density, 4), c.in_history)
            for r, c in enumerate(forecast.density_ranking, 1)
        ],
        columns=DENSITY_COLUMNS,
    )
    items = pd.DataFrame([(r, t, round(p, 4)) for r, (t, p) in enumerate(forecast.items, 1)], columns=ITEM_COLUMNS)
    top = forecast.classes[0]
    status = (
        f"Read {forecast.n_filings} filing(s). Most likely class of the next filing: **{top.nice_class:02d} "
        f"{top.heading}** (P = {top.probability:.2f})."
    )
    return chart, classes, density, items, status


def build_demo(
    config: ExplorerConfig | str | Path | None = None,
    *,
    explorer: Explorer | None = None,
    max_batch_size: int = 32,
) -> gr.Blocks:
    """Build the Explorer app.

    Args:
        config: an `ExplorerConfig` or the path of an `explorer_config.json` (default: the one in the current
            folder). Ignored when `explorer` is given.
        explorer: an already loaded `Explorer` (tests reuse one across apps).
        max_batch_size: most requests answered by one batched forward pass.
    """
    if explorer is None:
        if not isinstance(config, ExplorerConfig):
            config = ExplorerConfig.load(config or "explorer_config.json")
        explorer = Explorer.from_hub(config)

    # -- batched handlers (one forward pass per batch; ZeroGPU decorates them on Spaces) ----------------------------
    @gpu
    def next_products(histories: list[str], top_ks: list[float]):
        def parse(history, top_k):
            k = int(top_k if top_k is not None and not math.isnan(top_k) else 10)
            if not 1 <= k <= MAX_TOP_K:
                raise ValueError(f"top_k must be between 1 and {MAX_TOP_K}, got {top_k!r}.")
            return parse_history(history), k

        def compute(valid):
            forecasts = explorer.forecast([h for h, _ in valid], [k for _, k in valid])
            return [_forecast_tables(f) for f in forecasts]

        def on_error(message):
            empty = [pd.DataFrame(columns=c) for c in (CHART_COLUMNS, CLASS_COLUMNS, DENSITY_COLUMNS, ITEM_COLUMNS)]
            return (*empty, f"**Error:** {message}")

        rows = _run_batch(list(zip(histories, top_ks, strict=True)), parse, compute, on_error)
        return tuple(list(column) for column in zip(*rows, strict=True))

    @gpu
    def surprisal(histories: list[str], candidates: list[str]):
        def parse(history, candidate):
            filings = parse_history(history)
            if not (candidate or "").strip():
                raise ValueError("The candidate filing is empty: write it as `DATE | CLASSES | GOODS/SERVICES`.")
            filing = parse_filing(candidate.strip(), "Candidate filing")
            if filing["filing_date"] < filings[-1]["filing_date"]:
                raise ValueError(
                    f"The candidate filing ({filing['filing_date']}) is dated before the last filing of the history "
                    f"({filings[-1]['filing_date']}); a next filing comes after the history."
                )
            return filings, filing

        def compute(valid):
            results = explorer.surprisal([h for h, _ in valid], [c for _, c in valid])
            rows = []
            for r in results:
                text = f"Surprisal: **{r.surprisal:.3f} nats** per class/item token ({len(r.tokens)} token(s) scored)."
                if r.unscored_terms:
                    text += f" Not in the model's vocabulary (not scored): {', '.join(r.unscored_terms)}."
                table = pd.DataFrame([(t, round(v, 4)) for t, v in r.tokens], columns=TOKEN_COLUMNS)
                rows.append((text, table))
            return rows

        def on_error(message):
            return f"**Error:** {message}", pd.DataFrame(columns=TOKEN_COLUMNS)

        rows = _run_batch(list(zip(histories, candidates, strict=True)), parse, compute, on_error)
        return tuple(list(column) for column in zip(*rows, strict=True))

    @gpu
    def twin_transition(texts: list[str]):
        def compute(valid):
            return [_twin_outputs(e) for e in explorer.twin_explanations(valid)]

        def parse(text):
            return check_text(text, "The goods/services text")

        def on_error(message):
            return None, None, [], pd.DataFrame(columns=TWIN_ITEM_COLUMNS), f"**Error:** {message}"

        rows = _run_batch([(t,) for t in texts], parse, compute, on_error)
        return tuple(list(column) for column in zip(*rows, strict=True))

    def example_firm(name: str | None):
        if not name:
            raise gr.Error("Pick an example firm from the list.", print_exception=False)
        try:
            return explorer.example_history(name)
        except ValueError as err:
            raise gr.Error(str(err), print_exception=False) from err

    example_names = list(explorer.examples)[:N_EXAMPLE_FIRMS]
    example_histories = [explorer.example_history(name) for name in example_names]

    def worked_example():
        """On load: the first example firm's history, its actual next filing, and the forecast."""
        if not example_histories:
            return (
                "",
                "",
                *[pd.DataFrame(columns=c) for c in (CHART_COLUMNS, CLASS_COLUMNS, DENSITY_COLUMNS)],
                pd.DataFrame(columns=ITEM_COLUMNS),
                "Type a filing history to get a forecast.",
            )
        history_text, candidate_text = example_histories[0]
        tables = _forecast_tables(explorer.forecast([parse_history(history_text)], [10])[0])
        note = f"Worked example: **{example_names[0]}** (a held-out test firm). " + tables[-1]
        return (history_text, candidate_text, *tables[:-1], note)

    # -- layout ---------------------------------------------------------------------------------------------------
    with gr.Blocks(title="MarketBERT Explorer", analytics_enabled=False) as demo:
        gr.HTML(f"<style>{PHONE_CSS}</style>", padding=False, elem_id="phone-css")
        gr.Markdown(
            "# MarketBERT Explorer\nA firm's trademark filings say which markets it is in. MarketBERT, a BERT "
            "trained from scratch on firms' filing timelines, forecasts the Nice classes and goods/services of a "
            "firm's **next** filing; the relatedness-density baseline ranks classes by how related they are to the "
            "firm's past classes."
        )
        with gr.Tab("Next products"):
            with gr.Row():
                with gr.Column(scale=3, min_width=320):
                    history = gr.Textbox(
                        label="Filing history", lines=8, placeholder=HISTORY_PLACEHOLDER, elem_id="history"
                    )
                    gr.Markdown(HISTORY_SYNTAX, elem_id="history-syntax")
                    if example_histories:
                        gr.Examples(
                            examples=[[h] for h, _ in example_histories],
                            example_labels=example_names,
                            inputs=[history],
                            label="Example firms (held-out test split): click one, then Predict",
                        )
                with gr.Column(scale=1, min_width=240):
                    example = gr.Dropdown(
                        choices=list(explorer.examples), value=None, label="Example firm (held-out test split)"
                    )
                    top_k = gr.Slider(1, MAX_TOP_K, value=10, step=1, label="Top k")
                    predict = gr.Button("Predict next filing", variant="primary", elem_id="predict")
            status = gr.Markdown(elem_id="status")
            chart = gr.BarPlot(
                x="class",
                y="probability",
                color="kind",
                sort="-y",
                x_label_angle=-30,
                label="P(class in the next filing)",
                height=400,
            )
            with gr.Row(equal_height=False):  # side by side on a wide screen, stacked on a phone
                with gr.Column(min_width=360):
                    classes_table = _table(CLASS_COLUMNS, CLASS_WIDTHS, "MarketBERT: classes", "classes-table")
                with gr.Column(min_width=360):
                    density_table = _table(
                        DENSITY_COLUMNS, DENSITY_WIDTHS, "Relatedness-density baseline", "density-table"
                    )
            items_table = _table(ITEM_COLUMNS, ITEM_WIDTHS, "MarketBERT: goods/services items", "items-table")
            gr.Markdown("### Surprisal of a candidate next filing")
            with gr.Row():
                candidate = gr.Textbox(
                    label="Candidate next filing", placeholder="2020-01-15 | 9, 42 | software", elem_id="candidate"
                )
                score = gr.Button("Score candidate", elem_id="score")
            surprisal_text = gr.Markdown(elem_id="surprisal")
            surprisal_table = gr.Dataframe(
                headers=TOKEN_COLUMNS, label="Surprisal per token", elem_id="surprisal-table"
            )
        with gr.Tab("Twin transition"):
            gr.Markdown(
                "Is a goods/services description **green** and/or **digital**? Each item of the list is scored; the "
                "description gets a label when enough of its items count (the calibrated share rule of the models' "
                "cards): the items that count are highlighted."
            )
            text = gr.Textbox(
                label="Goods/services",
                lines=3,
                placeholder="solar panels; energy storage software",
                elem_id="twin-text",
            )
            gr.Examples(
                examples=[[t] for t in TWIN_EXAMPLES],
                example_labels=["green", "digital", "neither"],
                inputs=[text],
                label="Examples",
            )
            classify = gr.Button("Classify", variant="primary")
            with gr.Row():
                green = gr.Number(label="green score (>= 0.5: green)", precision=4, elem_id="twin-green")
                digital = gr.Number(label="digital score (>= 0.5: digital)", precision=4, elem_id="twin-digital")
            twin_note = gr.Markdown(elem_id="twin-note")
            twin_items = gr.HighlightedText(
                label="Items that drove the decision",
                color_map=TWIN_COLORS,
                show_legend=True,
                combine_adjacent=False,
                elem_id="twin-items",
            )
            twin_table = gr.Dataframe(
                headers=TWIN_ITEM_COLUMNS, label="Item scores", wrap=True, elem_id="twin-items-table"
            )

        batched = {"batch": True, "max_batch_size": max_batch_size, "concurrency_limit": 1}
        predict.click(
            next_products,
            [history, top_k],
            [chart, classes_table, density_table, items_table, status],
            api_name="next_products",
            **batched,
        )
        score.click(
            surprisal, [history, candidate], [surprisal_text, surprisal_table], api_name="surprisal", **batched
        )
        classify.click(
            twin_transition,
            [text],
            [green, digital, twin_items, twin_table, twin_note],
            api_name="twin_transition",
            **batched,
        )
        example.change(example_firm, [example], [history, candidate], api_name="example_firm")
        demo.load(
            worked_example,
            None,
            [history, candidate, chart, classes_table, density_table, items_table, status],
            api_name=False,
        )
    demo.queue(default_concurrency_limit=4, max_size=512)
    return demo

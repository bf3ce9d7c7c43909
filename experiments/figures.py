#!/usr/bin/env python
"""Pictures like the paper's, from a dataset and a trained run.

    python experiments/figures.py label-graph --config configs/bibtex.yaml \
        --data-root ../shared/data --out records/experiments/bibtex-label-graph.png
    python experiments/figures.py attention --run /path/to/run --data-root ../shared/data \
        --sample 0 --out records/experiments/bibtex-attention.png
    python experiments/figures.py curves --run /path/to/run \
        --out records/experiments/bibtex-time-to-accuracy.png [--target 0.447]

- ``label-graph``: the prior label graph built from the training split, drawn with a
  spring layout; node size = training frequency, only the strongest co-occurrence
  edges drawn (the graph itself keeps all).
- ``attention``: for one test sample, the last decoder layer's label -> label attention
  (mean over heads) among the sample's true and predicted labels, and the
  feature -> label attention of those labels over the sample's tokens.
- ``curves``: test ebF1 (threshold tuned on validation that epoch) against the
  cumulative wall time of training and evaluation, from ``metrics.jsonl`` and the
  checkpointed per-epoch records.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))


def _plt():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


def label_graph_figure(config: str, data_root: str, out: Path, max_edges: int = 250) -> str:
    import networkx as nx

    from lamp_pyg.training.config import load_config
    from lamp_pyg.training import build_label_graph, load_datasets
    cfg = load_config(config, [f"data.root={data_root}", "graph.kind=prior"])
    train = load_datasets(cfg)["train"]
    graph = build_label_graph(cfg, train)
    G = graph.to_networkx(to_undirected=True)
    G.remove_edges_from(nx.selfloop_edges(G))
    freq = np.bincount([i for row in train.train_labels for i in row],
                       minlength=graph.num_labels).astype(float)
    edges = sorted(G.edges(data=True), key=lambda e: -float(e[2].get("weight", 1.0)))
    keep = edges[:max_edges]
    H = nx.Graph()
    H.add_edges_from(keep)  # only labels on a drawn edge
    pos = nx.kamada_kawai_layout(H)
    plt = _plt()
    fig, ax = plt.subplots(figsize=(11, 11))
    w = np.array([float(d.get("weight", 1.0)) for _, _, d in keep])
    nx.draw_networkx_edges(H, pos, ax=ax, alpha=0.25,
                           width=0.3 + 2.5 * w / max(w.max(), 1.0) if len(w) else 1.0)
    nodes = list(H.nodes)
    sizes = 20 + 600 * freq[nodes] / max(freq.max(), 1)
    nx.draw_networkx_nodes(H, pos, nodelist=nodes, ax=ax, node_size=sizes,
                           node_color="#4c72b0", alpha=0.8)
    names = train.label_names
    nx.draw_networkx_labels(H, pos, labels={n: names[n].replace("TAG_", "") for n in nodes},
                            font_size=6, ax=ax)
    ax.set_title(f"{cfg.data.name}: prior label graph, {graph.num_labels} labels, "
                 f"{graph.edge_index.size(1)} directed edges incl. self-loops, off-diagonal "
                 f"density {graph.off_diagonal_density:.3f}\nthe {len(keep)} most frequent "
                 f"co-occurrences drawn ({len(nodes)} labels); node size = training frequency, "
                 f"edge width = co-occurrence count", fontsize=9)
    ax.axis("off")
    fig.tight_layout()
    fig.savefig(out, dpi=100)
    plt.close(fig)
    return graph.summary()


def attention_figure(run: Path, data_root: str, sample: int, out: Path) -> str:
    import torch
    from torch_geometric.loader import DataLoader

    from lamp_pyg.training.checkpoint import load_checkpoint, model_from_checkpoint
    from lamp_pyg.training.config import load_config
    from lamp_pyg.training import load_datasets
    ck = load_checkpoint(run / "best.pt")
    cfg = load_config(run / "config.yaml", [f"data.root={data_root}"])
    model = model_from_checkpoint(ck)
    test = load_datasets(cfg)["test"]
    batch = next(iter(DataLoader(test[[sample]], batch_size=1)))
    with torch.no_grad():
        out_ = model(batch, return_attention_weights=True)
    prob = torch.sigmoid(out_.logits[0]).numpy()
    thr = ck.get("thresholds", {}).get("ebF1", 0.5)
    y = batch["label"].y[0].numpy().astype(bool)
    pred = prob >= thr
    shown = np.flatnonzero(y | pred)
    if len(shown) < 2:
        shown = np.argsort(-prob)[:8]
    shown = shown[np.argsort(-prob[shown])][:20]
    last = out_.attentions[-1]
    l2l = last["label_to_label"]
    f2l = last["feature_to_label"]
    A = _dense_weights(l2l, model.config.num_labels, model.config.num_labels)  # [L, L]
    Fw = _dense_weights(f2l, model.config.num_labels, batch["token"].num_nodes)  # [L, S]
    names = ck["meta"]["label_names"]
    vocab = ck["meta"]["vocab"]
    tok = [vocab[int(i)] if int(i) < len(vocab) else str(int(i)) for i in batch["token"].x]
    names_of = _feature_names(ck["meta"], data_root)
    if names_of:  # sparse MULAN tokens are feature indices: show the attribute names
        tok = [names_of[int(t)] if t.isdigit() and int(t) < len(names_of) else t for t in tok]
    top_tok = np.argsort(-Fw[shown].max(0))[:30]
    plt = _plt()
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(16, 7), gridspec_kw={"width_ratios": [1, 1.4]})
    lab = [f"{names[i]}{' *' if y[i] else ''} ({prob[i]:.2f})" for i in shown]
    im = a1.imshow(A[np.ix_(shown, shown)], cmap="viridis")
    a1.set_xticks(range(len(shown)), [names[i] for i in shown], rotation=90, fontsize=7)
    a1.set_yticks(range(len(shown)), lab, fontsize=7)
    a1.set(xlabel="source label", ylabel="target label (* = true; probability)",
           title="label -> label attention, last layer, mean of heads")
    fig.colorbar(im, ax=a1, fraction=0.046)
    im = a2.imshow(Fw[np.ix_(shown, top_tok)], cmap="magma", aspect="auto")
    a2.set_xticks(range(len(top_tok)), [tok[j] for j in top_tok], rotation=90, fontsize=7)
    a2.set_yticks(range(len(shown)), lab, fontsize=7)
    a2.set(xlabel="input token (the 30 most attended)", title="feature -> label attention, last layer")
    fig.colorbar(im, ax=a2, fraction=0.046)
    fig.suptitle(f"{cfg.data.name} test sample {sample}: {int(y.sum())} true labels, "
                 f"{int(pred.sum())} predicted at threshold {thr}", fontsize=10)
    fig.tight_layout()
    fig.savefig(out, dpi=100)
    plt.close(fig)
    return f"sample {sample}: true {[names[i] for i in np.flatnonzero(y)]}, predicted {[names[i] for i in np.flatnonzero(pred)]}"


def _feature_names(meta, data_root: str):
    """Attribute names of a sparse MULAN dataset (its tokens are feature indices), else None."""
    folder = Path(data_root) / "mulan" / meta["name"]
    if meta.get("kind") != "sparse" or not folder.is_dir():
        return None
    from lamp_pyg.io import read_mulan
    return read_mulan(folder, meta["name"]).feature_names


def _dense_weights(att, T: int, S: int) -> np.ndarray:
    """Mean over heads of the first graph's attention as ``[T, S]``, from the
    :class:`~lamp_pyg.nn.AttentionWeights` of a batch (its first ``T`` targets and ``S``
    sources are the first graph's)."""
    import torch

    ei, alpha = att.to_edge_index(), att.alpha
    first = (ei[1] < T) & (ei[0] < S)
    out = torch.zeros(T, S)
    out.index_put_((ei[1][first], ei[0][first]), alpha[first].float().mean(-1), accumulate=True)
    return out.numpy()


def _time_curve(run: Path, test_time: bool = True):
    """``[(minutes, test ebF1, valid ebF1, threshold)]`` per epoch of a run: wall time is
    training + evaluation (valid and test scoring) so far, or without scoring test when
    ``test_time`` is False (what a user needs to train and pick a checkpoint; test is
    scored only to draw the curve); the threshold is tuned on validation at each epoch."""
    from lamp_pyg.evaluation import tuned_on_valid
    from lamp_pyg.training.checkpoint import load_checkpoint
    hist = load_checkpoint(run / "last.pt")["train_state"]["history"]
    if not test_time and any("test_seconds" not in h for h in hist):
        raise ValueError(f"{run}: its log has no test_seconds (a run from before they were "
                         "logged); plot it with the test scoring time included")
    t, ys = 0.0, []
    for h in hist:
        t += h["train_seconds"] + h["eval_seconds"] - (0.0 if test_time else h["test_seconds"])
        rec = h["record"]
        if rec["test"] is None:
            raise ValueError(f"{run}: test was not scored per epoch (eval.test_every_epoch: "
                             "false), so it has no test curve")
        r = tuned_on_valid(rec, "ebF1")
        ys.append((t / 60, r["test"], r["valid"], r["threshold"]))
    return ys


def curves_figure(runs, out: Path, target: float = None, test_time: bool = True) -> str:
    """Test (solid) and valid (dashed) ebF1 against wall time, one colour per run
    (``test_time=False``: the clock leaves out scoring test, see :func:`_time_curve`)."""
    runs = [Path(r) for r in ([runs] if isinstance(runs, (str, Path)) else runs)]
    plt = _plt()
    fig, ax = plt.subplots(figsize=(7, 4))
    rows = []
    for k, run in enumerate(runs):
        ys = _time_curve(run, test_time)
        c = f"C{k}"
        ax.plot([a for a, *_ in ys], [b for _, b, *_ in ys], marker="o", color=c,
                label=f"{run.name}: test")
        ax.plot([a for a, *_ in ys], [v for _, _, v, _ in ys], marker=".", ls="--", color=c,
                label=f"{run.name}: valid")
        rows += [f"{run.name} epoch {e + 1}: {a:.1f} min, test ebF1 {b:.4f}, valid {v:.4f} (t={d})"
                 for e, (a, b, v, d) in enumerate(ys)]
        if target is not None:
            hit = next((a for a, b, *_ in ys if b >= target), None)
            rows.append(f"{run.name}: test ebF1 >= {target} first at "
                        + (f"{hit:.1f} min" if hit is not None else "never"))
    if target is not None:
        ax.axhline(target, color="grey", ls=":", label=f"published LaMP {target}")
    clock = "training + evaluation" if test_time else "training + validation (test scoring left out)"
    ax.set(xlabel=f"wall time, {clock} (minutes)", ylabel="ebF1",
           title="ebF1 against time (threshold tuned on validation each epoch)")
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return "\n".join(rows)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("what", choices=("label-graph", "attention", "curves"))
    p.add_argument("--config")
    p.add_argument("--run", type=Path, action="append",
                   help="a run directory (repeat for curves to overlay several runs)")
    p.add_argument("--data-root")
    p.add_argument("--sample", type=int, default=0)
    p.add_argument("--target", type=float)
    p.add_argument("--no-test-time", action="store_true",
                   help="curves: leave the time spent scoring test out of the clock")
    p.add_argument("--out", type=Path, required=True)
    a = p.parse_args(argv)
    a.out.parent.mkdir(parents=True, exist_ok=True)
    if a.what == "label-graph":
        print(label_graph_figure(a.config, a.data_root, a.out))
    elif a.what == "attention":
        print(attention_figure(a.run[0], a.data_root, a.sample, a.out))
    else:
        print(curves_figure(a.run, a.out, a.target, test_time=not a.no_test_time))
    print(f"wrote {a.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

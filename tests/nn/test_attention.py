"""LaMPAttention: shapes, init, the three execution paths against each other and against
a naive attention loop written here, permutation invariance, dropout (attention weights:
``test_attention_weights.py``).

Every test runs with PyG's native scatter and, when it imports, with torch-scatter
(the ``scatter_backend`` fixture in ``tests/nn/conftest.py``).
"""
import math

import pytest
import torch

from lamp_pyg.nn import CompleteBipartite, LaMPAttention, SharedGraph, fused_edge_attention
from lamp_pyg.nn.dropout import keep_mask

pytestmark = pytest.mark.usefixtures("scatter_backend")

PATHS = ("edge", "dense", "fused")
TOL = dict(atol=1e-5, rtol=1e-5)


# --------------------------------------------------------------------------- references

def naive_attention(conv, x_src, x_dst, pairs):
    """Multi-head attention written out by hand: for each target node, a softmax over its
    incoming edges ``pairs`` (list of (source, target)), per head; heads concatenated, then
    the output projection. Targets without incoming edges get zeros."""
    H, C = conv.heads, conv.head_channels

    def proj(lin, x):
        out = x @ lin.weight.t()
        return out if lin.bias is None else out + lin.bias

    q = proj(conv.lin_query, x_dst).view(-1, H, C)
    k = proj(conv.lin_key, x_src).view(-1, H, C)
    v = proj(conv.lin_value, x_src).view(-1, H, C)
    rows = []
    for i in range(x_dst.size(0)):
        sources = [s for s, t in pairs if t == i]
        heads = []
        for h in range(H):
            if not sources:
                heads.append(x_dst.new_zeros(C))
                continue
            scores = torch.stack([(q[i, h] * k[j, h]).sum() / math.sqrt(C) for j in sources])
            w = torch.exp(scores - scores.max())
            w = w / w.sum()
            heads.append(sum(w[n] * v[j, h] for n, j in enumerate(sources)))
        rows.append(torch.cat(heads))
    out = torch.stack(rows)  # [N_dst, H * C]
    if conv.lin_out is not None:
        out = out @ conv.lin_out.weight.t()
    return out


def shared_pairs(e0, num_src, num_dst, B):
    """Explicit (source, target) list of a SharedGraph, written out independently."""
    return [(s + b * num_src, t + b * num_dst) for b in range(B) for s, t in e0]


def bipartite_pairs(src_sizes, dst_sizes):
    pairs, s0, t0 = [], 0, 0
    for S, T in zip(src_sizes, dst_sizes):
        pairs += [(s0 + s, t0 + t) for t in range(T) for s in range(S)]
        s0, t0 = s0 + S, t0 + T
    return pairs


def batch_vector(sizes):
    return torch.arange(len(sizes)).repeat_interleave(torch.tensor(sizes, dtype=torch.long))


# --------------------------------------------------------------------------- cases

def _full(L):
    return [(s, t) for t in range(L) for s in range(L)]


# name -> (kind, spec). For "cb": (src_sizes, dst_sizes, in_channels);
# for "sg": (edge list within one graph, num_src, num_dst, B, in_channels)
CASES = {
    # feature -> label: sample 1 has no input tokens
    "cb_empty_sample": ("cb", ([3, 0, 2], [4, 4, 4], (5, 7))),
    "cb_ragged": ("cb", ([2, 3, 1], [1, 3, 2], (6, 6))),
    "cb_no_tokens_at_all": ("cb", ([0, 0], [2, 2], (5, 7))),
    # as many target nodes (3) as the largest graph has: not targets shared by the graphs
    "cb_one_graph_without_targets": ("cb", ([2, 3], [3, 0], (5, 7))),
    # label -> label
    "sg_full": ("sg", (_full(4), 4, 4, 3, 6)),
    # label 2 has only its self-loop: a dense mask row with a single True
    "sg_self_loop_only_label": ("sg", ([(s, t) for s, t in _full(4) if 2 not in (s, t) or s == t],
                                       4, 4, 2, 6)),
    # label 3 sends (3 -> 0) but has NO incoming edge: its row must be zero
    "sg_no_incoming": ("sg", ([(0, 1), (1, 0), (2, 0), (0, 2), (1, 1), (3, 0)], 4, 4, 3, 6)),
    "sg_self_loops": ("sg", ([(i, i) for i in range(4)], 4, 4, 2, 6)),
    "sg_edgeless": ("sg", ([], 4, 4, 2, 6)),
    "sg_bipartite": ("sg", ([(0, 1), (2, 1), (1, 0), (2, 2)], 3, 3, 2, (5, 7))),
    # duplicated edges count with their multiplicity on every path (as in to_edge_index())
    "sg_duplicate_edges": ("sg", ([(0, 1), (1, 1), (0, 1), (2, 1), (2, 2), (2, 2), (2, 2),
                                   (3, 0)], 4, 4, 2, 6)),
}


def build_case(name, seed=0):
    """Returns ``x`` (tensor or (src, dst) tuple), the implicit edge set, the explicit
    (source, target) pairs, in_channels, and the number of target nodes."""
    kind, spec = CASES[name]
    g = torch.Generator().manual_seed(seed)
    if kind == "cb":
        src_sizes, dst_sizes, in_channels = spec
        x = (torch.randn(sum(src_sizes), in_channels[0], generator=g),
             torch.randn(sum(dst_sizes), in_channels[1], generator=g))
        edges = CompleteBipartite.from_batch(batch_vector(src_sizes), batch_vector(dst_sizes),
                                             len(src_sizes))
        pairs = bipartite_pairs(src_sizes, dst_sizes)
        n_dst = sum(dst_sizes)
    else:
        e0, ns, nd, B, in_channels = spec
        ei0 = torch.tensor(e0, dtype=torch.long).t().reshape(2, -1)
        edges = SharedGraph(ei0, ns, nd, B)
        if isinstance(in_channels, tuple):
            x = (torch.randn(B * ns, in_channels[0], generator=g),
                 torch.randn(B * nd, in_channels[1], generator=g))
        else:
            x = torch.randn(B * ns, in_channels, generator=g)
        pairs = shared_pairs(e0, ns, nd, B)
        n_dst = B * nd
    return x, edges, pairs, in_channels, n_dst


def run(conv, x, edges, grad_seed=1):
    """Forward + backward with a fixed random upstream gradient; returns the output and
    the gradients w.r.t. the inputs and every parameter."""
    xs = tuple(t.detach().clone().requires_grad_() for t in (x if isinstance(x, tuple) else (x,)))
    conv.zero_grad(set_to_none=True)
    out = conv(xs if len(xs) == 2 else xs[0], edges)
    g = torch.randn(out.shape, generator=torch.Generator().manual_seed(grad_seed))
    (out * g).sum().backward()
    grads = {f"x{i}": t.grad for i, t in enumerate(xs)}
    grads.update({n: p.grad for n, p in conv.named_parameters()})
    return out.detach(), grads


# --------------------------------------------------------------------------- construction

def test_repr():
    conv = LaMPAttention(16, 32, heads=4, dropout=0.1)
    assert str(conv) == ("LaMPAttention((16, 16), 32, heads=4, head_channels=8, "
                         "dropout=0.1, path='auto')")
    conv = LaMPAttention((-1, 12), 8, head_channels=3, path="dense")
    assert str(conv) == ("LaMPAttention((-1, 12), 8, heads=1, head_channels=3, "
                         "dropout=0.0, path='dense')")


def test_projection_shapes_and_bias():
    conv = LaMPAttention((6, 10), 16, heads=4)
    assert conv.head_channels == 4
    assert conv.lin_query.weight.shape == (16, 10)  # queries come from the targets
    assert conv.lin_key.weight.shape == (16, 6)  # keys and values from the sources
    assert conv.lin_value.weight.shape == (16, 6)
    assert conv.lin_out.weight.shape == (16, 16)
    for lin in (conv.lin_query, conv.lin_key, conv.lin_value, conv.lin_out):
        assert lin.bias is None  # LaMP: no biases

    assert LaMPAttention(8, 8, heads=1).lin_out is None  # one head: no output projection
    conv = LaMPAttention(8, 8, heads=1, head_channels=3)  # H * C != out_channels
    assert conv.lin_out.weight.shape == (8, 3)
    conv = LaMPAttention(8, 8, heads=2, bias=True)
    assert conv.lin_query.bias.shape == (8,) and conv.lin_out.bias is None


def test_constructor_errors():
    with pytest.raises(ValueError, match="divisible"):
        LaMPAttention(8, 10, heads=4)
    with pytest.raises(ValueError, match="path"):
        LaMPAttention(8, 8, path="sparse")
    with pytest.raises(ValueError, match="dropout"):
        LaMPAttention(8, 8, dropout=1.0)
    with pytest.raises(ValueError, match="dropout"):
        LaMPAttention(8, 8, dropout=-0.1)


@pytest.mark.parametrize("path", ["edge", "fused"])
def test_output_shape_non_bipartite(path):
    x = torch.randn(5, 8)
    ei = torch.tensor([[0, 1, 2, 3, 4, 0], [1, 2, 3, 4, 0, 0]])
    assert LaMPAttention(8, 12, heads=3, path=path)(x, ei).shape == (5, 12)
    assert LaMPAttention(8, 12, heads=3, head_channels=5, path=path)(x, ei).shape == (5, 12)


@pytest.mark.parametrize("path", PATHS)
def test_output_shape_bipartite(path):
    x = (torch.randn(5, 6), torch.randn(7, 10))
    cb = CompleteBipartite.from_batch(torch.tensor([0, 0, 1, 1, 1]),
                                      torch.tensor([0, 0, 0, 1, 1, 1, 1]), 2)
    assert LaMPAttention((6, 10), 12, heads=2, path=path)(x, cb).shape == (7, 12)
    if path != "dense":
        ei = torch.tensor([[0, 4, 2], [6, 0, 3]])
        assert LaMPAttention((6, 10), 12, heads=2, path=path)(x, ei).shape == (7, 12)


def _weight_std(lin):
    return lin.weight.detach().std().item(), lin.weight.detach().mean().item()


def test_reset_parameters_and_init_std():
    torch.manual_seed(0)
    d, h, d_src = 256, 4, 128
    conv = LaMPAttention((d_src, d), d, heads=h)
    d_k = d // h
    before = {n: p.detach().clone() for n, p in conv.named_parameters()}
    conv.reset_parameters()
    for n, p in conv.named_parameters():
        assert not torch.equal(before[n], p), n
    # LaMP: q/k/v ~ N(0, 2 / (d_in + d_k)); output projection xavier normal
    expected = {
        "lin_query": math.sqrt(2.0 / (d + d_k)),
        "lin_key": math.sqrt(2.0 / (d_src + d_k)),
        "lin_value": math.sqrt(2.0 / (d_src + d_k)),
        "lin_out": math.sqrt(2.0 / (d + d)),
    }
    for name, std in expected.items():
        got_std, got_mean = _weight_std(getattr(conv, name))
        assert got_std == pytest.approx(std, rel=0.03), name
        assert abs(got_mean) < 0.1 * std, name


@pytest.mark.parametrize("path", PATHS)
def test_lazy_in_channels(path):
    torch.manual_seed(0)
    cb = CompleteBipartite.from_batch(torch.tensor([0, 1, 1]), torch.tensor([0, 0, 1, 1]), 2)
    conv = LaMPAttention((-1, -1), 16, heads=2, path=path)
    assert str(conv).startswith("LaMPAttention((-1, -1), 16,")
    conv.reset_parameters()  # must not fail before materialisation
    out = conv((torch.randn(3, 5), torch.randn(4, 9)), cb)
    assert out.shape == (4, 16)
    assert conv.lin_key.weight.shape == (16, 5)
    assert conv.lin_value.weight.shape == (16, 5)
    assert conv.lin_query.weight.shape == (16, 9)

    conv = LaMPAttention(-1, 16, heads=2, path=path)
    sg = SharedGraph(torch.tensor([[0, 1, 1], [1, 0, 1]]), 2, 2, 3)
    assert conv(torch.randn(6, 7), sg).shape == (6, 16)
    assert conv.lin_query.weight.shape == (16, 7)


def test_lazy_then_reset_gives_lamp_init():
    torch.manual_seed(0)
    conv = LaMPAttention(-1, 256, heads=4)
    conv(torch.randn(3, 192), SharedGraph(torch.tensor([[0], [0]]), 3, 3, 1))
    conv.reset_parameters()
    std, _ = _weight_std(conv.lin_key)
    assert std == pytest.approx(math.sqrt(2.0 / (192 + 64)), rel=0.03)


# --------------------------------------------------------------------------- paths agree

@pytest.mark.parametrize("heads", [1, 2])
@pytest.mark.parametrize("case", list(CASES))
def test_paths_agree_with_each_other_and_the_naive_loop(case, heads):
    x, edges, pairs, in_channels, n_dst = build_case(case)
    torch.manual_seed(0)
    conv = LaMPAttention(in_channels, 8, heads=heads)
    x_src, x_dst = x if isinstance(x, tuple) else (x, x)
    expected = naive_attention(conv, x_src, x_dst, pairs)

    results = {}
    for path in PATHS:
        conv.path = path
        out, grads = run(conv, x, edges)
        assert out.shape == (n_dst, 8)
        assert torch.isfinite(out).all(), path
        for n, g in grads.items():
            assert g is not None and torch.isfinite(g).all(), (path, n)
        torch.testing.assert_close(out, expected, **TOL, msg=f"{path} vs naive")
        results[path] = (out, grads)

    ref_out, ref_grads = results["edge"]
    for path in ("dense", "fused"):
        out, grads = results[path]
        torch.testing.assert_close(out, ref_out, **TOL)
        assert grads.keys() == ref_grads.keys()
        for n in ref_grads:
            torch.testing.assert_close(grads[n], ref_grads[n], **TOL, msg=f"{path}: d/d{n}")

    # targets with no incoming edge (masked rows, samples without tokens) get exact zeros
    receivers = {t for _, t in pairs}
    silent = [i for i in range(n_dst) if i not in receivers]
    for path, (out, _) in results.items():
        assert (out[silent] == 0).all(), path
    if case in ("cb_empty_sample", "sg_no_incoming", "sg_edgeless", "cb_no_tokens_at_all"):
        assert silent  # the case really exercises an empty row


def test_explicit_edge_index_equals_implicit_edge_set():
    x, edges, pairs, in_channels, _ = build_case("sg_self_loop_only_label")
    torch.manual_seed(0)
    conv = LaMPAttention(in_channels, 8, heads=2, path="dense")
    dense = conv(x, edges)
    ei = torch.tensor(pairs).t()
    for path in ("edge", "fused"):
        conv.path = path
        torch.testing.assert_close(conv(x, ei), dense, **TOL)


def test_self_loops_only_is_value_projection():
    # each target attends only to itself with weight 1: out = W_O W_V x
    x, edges, _, in_channels, _ = build_case("sg_self_loops")
    torch.manual_seed(0)
    conv = LaMPAttention(in_channels, 8, heads=2)
    expected = conv.lin_out(conv.lin_value(x))
    for path in PATHS:
        conv.path = path
        torch.testing.assert_close(conv(x, edges), expected, **TOL)


def test_dense_path_rejects_edge_index_tensor():
    conv = LaMPAttention(4, 4, path="dense")
    with pytest.raises(ValueError, match="dense.*CompleteBipartite or SharedGraph"):
        conv(torch.randn(3, 4), torch.tensor([[0, 1], [1, 2]]))


@pytest.mark.parametrize("path", ["edge", "fused"])
def test_plain_edge_index_against_naive(path):
    torch.manual_seed(0)
    x = torch.randn(6, 5)
    # multi-edges, a node with no incoming edge (5), self-loops
    ei = torch.tensor([[0, 1, 2, 3, 4, 5, 0, 0, 3], [1, 2, 0, 4, 0, 1, 0, 1, 3]])
    conv = LaMPAttention(5, 6, heads=3, path=path)
    expected = naive_attention(conv, x, x, ei.t().tolist())
    out = conv(x, ei)
    torch.testing.assert_close(out, expected, **TOL)
    assert (out[5] == 0).all()


def test_fused_chunking_and_gradcheck():
    g = torch.Generator().manual_seed(0)
    N_src, N_dst, H, C = 5, 4, 2, 3
    q = torch.randn(N_dst, H, C, dtype=torch.double, generator=g, requires_grad=True)
    k = torch.randn(N_src, H, C, dtype=torch.double, generator=g, requires_grad=True)
    v = torch.randn(N_src, H, C, dtype=torch.double, generator=g, requires_grad=True)
    ei = torch.tensor([[0, 1, 2, 3, 4, 0, 2], [0, 0, 1, 1, 1, 2, 2]])  # target 3: no edge
    out_big, alpha_big = fused_edge_attention(q, k, v, ei)
    out_small, alpha_small = fused_edge_attention(q, k, v, ei, chunk=2)
    torch.testing.assert_close(out_small, out_big)
    torch.testing.assert_close(alpha_small, alpha_big)
    assert torch.autograd.gradcheck(
        lambda q, k, v: fused_edge_attention(q, k, v, ei, chunk=3)[0], (q, k, v))


def test_fused_dropout_backward_matches_autograd():
    """The fused path's hand-written backward under dropout equals autograd through the
    same computation with the same keep mask (drawn by lamp_pyg.nn.dropout.keep_mask)."""
    g = torch.Generator().manual_seed(0)
    H, C, p = 2, 3, 0.4
    q = torch.randn(4, H, C, generator=g, requires_grad=True)
    k = torch.randn(5, H, C, generator=g, requires_grad=True)
    v = torch.randn(5, H, C, generator=g, requires_grad=True)
    ei = torch.tensor([[0, 1, 2, 3, 4, 0, 2, 4], [0, 0, 1, 1, 1, 2, 2, 3]])
    up = torch.randn(4, H, C, generator=g)
    torch.manual_seed(123)
    out, _ = fused_edge_attention(q, k, v, ei, dropout=p, training=True, chunk=3)
    grads = torch.autograd.grad((out * up).sum(), (q, k, v))

    torch.manual_seed(123)
    keep, scale = keep_mask((ei.size(1), H), p)
    assert 0 < keep.sum() < keep.numel()  # the mask really drops something
    assert scale == pytest.approx(1 / (1 - p), rel=1e-4)
    src, dst = ei
    scores = (q[dst] * k[src]).sum(-1) / math.sqrt(C)  # [E, H]
    alpha = sum(torch.softmax(scores.masked_fill((dst != i).unsqueeze(-1), float("-inf")), 0)
                for i in range(4))  # every target 0..3 has an incoming edge
    msg = v[src] * (alpha * keep * scale).unsqueeze(-1)
    ref = torch.zeros(4, H, C).index_add(0, dst, msg)
    torch.testing.assert_close(out, ref, **TOL)
    ref_grads = torch.autograd.grad((ref * up).sum(), (q, k, v))
    for a, b in zip(grads, ref_grads):
        torch.testing.assert_close(a, b, **TOL)


# --------------------------------------------------------------------------- permutations

@pytest.mark.parametrize("path", ["edge", "fused"])
def test_permutation_invariance_edge_index(path):
    torch.manual_seed(0)
    N = 7
    x = torch.randn(N, 6)
    ei = torch.tensor([[0, 1, 2, 3, 4, 5, 6, 0, 2, 6], [1, 2, 3, 4, 5, 6, 0, 0, 0, 3]])
    conv = LaMPAttention(6, 8, heads=2, path=path)
    out = conv(x, ei)
    perm = torch.randperm(N)  # new node i is old node perm[i]
    inv = torch.empty_like(perm)
    inv[perm] = torch.arange(N)
    out_p = conv(x[perm], inv[ei])
    torch.testing.assert_close(out_p, out[perm], **TOL)

    # bipartite: permuting the sources only leaves every target unchanged
    x_src, x_dst = torch.randn(5, 6), torch.randn(3, 6)
    ei = torch.tensor([[0, 1, 2, 3, 4, 4], [0, 0, 1, 1, 2, 0]])
    perm = torch.tensor([3, 0, 4, 1, 2])
    inv = torch.empty_like(perm)
    inv[perm] = torch.arange(5)
    ei_p = torch.stack([inv[ei[0]], ei[1]])
    torch.testing.assert_close(conv((x_src[perm], x_dst), ei_p), conv((x_src, x_dst), ei),
                               **TOL)


@pytest.mark.parametrize("path", PATHS)
def test_permutation_invariance_shared_graph(path):
    torch.manual_seed(0)
    L, B = 5, 3
    e0 = torch.tensor([[0, 1, 2, 3, 4, 0, 4, 2], [0, 1, 2, 3, 4, 1, 1, 3]])
    x = torch.randn(B * L, 6)
    conv = LaMPAttention(6, 8, heads=2, path=path)
    out = conv(x, SharedGraph(e0, L, L, B))
    perm = torch.tensor([2, 4, 0, 1, 3])  # relabel the labels the same way in every graph
    inv = torch.empty_like(perm)
    inv[perm] = torch.arange(L)
    node_perm = (torch.arange(B).view(B, 1) * L + perm.view(1, L)).view(-1)
    out_p = conv(x[node_perm], SharedGraph(inv[e0], L, L, B))
    torch.testing.assert_close(out_p, out[node_perm], **TOL)


@pytest.mark.parametrize("path", PATHS)
def test_permutation_invariance_complete_bipartite(path):
    torch.manual_seed(0)
    src_batch = batch_vector([3, 1, 4])
    dst_batch = batch_vector([2, 2, 2])
    x_src, x_dst = torch.randn(8, 6), torch.randn(6, 6)
    cb = CompleteBipartite.from_batch(src_batch, dst_batch, 3)
    conv = LaMPAttention(6, 8, heads=2, path=path)
    out = conv((x_src, x_dst), cb)
    perm = torch.tensor([2, 0, 1, 3, 7, 5, 4, 6])  # shuffles tokens within each graph
    assert torch.equal(src_batch[perm], src_batch)
    torch.testing.assert_close(conv((x_src[perm], x_dst), cb), out, **TOL)
    # ... and moving a token into another graph does change the result
    x_moved = x_src.clone()
    x_moved[[0, 3]] = x_src[[3, 0]]
    assert not torch.allclose(conv((x_moved, x_dst), cb), out, atol=1e-4)


# --------------------------------------------------------------------------- auto

def test_auto_picks_dense_for_complete_bipartite_of_bibtex_size():
    B, S, L = 32, 70, 159
    cb = CompleteBipartite.from_batch(torch.arange(B).repeat_interleave(S),
                                      torch.arange(B).repeat_interleave(L), B)
    conv = LaMPAttention(512, 512, heads=4)
    assert conv.choose_path(cb) == "dense"


def test_auto_picks_dense_for_full_label_graph():
    L = 159
    full = torch.stack(torch.meshgrid(torch.arange(L), torch.arange(L), indexing="ij")).view(2, -1)
    conv = LaMPAttention(512, 512, heads=4)
    assert conv.choose_path(SharedGraph(full, L, L, 32)) == "dense"


def test_auto_avoids_dense_for_sparse_large_label_graph():
    L, k = 10_000, 16
    src = torch.randint(0, L, (L * k,))
    dst = torch.arange(L).repeat_interleave(k)
    sg = SharedGraph(torch.stack([src, dst]), L, L, 32)
    conv = LaMPAttention(512, 512, heads=4)
    path = conv.choose_path(sg)
    assert path != "dense"
    assert path == "fused"  # 32 * 160k edges of per-edge messages exceed the 1 GiB budget
    conv = LaMPAttention(512, 512, heads=4, edge_memory_budget=1 << 40)
    assert conv.choose_path(sg) == "edge"


def test_auto_on_tensors_and_fixed_paths():
    ei = torch.tensor([[0, 1], [1, 0]])
    assert LaMPAttention(8, 8).choose_path(ei) == "edge"
    assert LaMPAttention(8, 8, edge_memory_budget=1).choose_path(ei) == "fused"
    for path in PATHS:
        assert LaMPAttention(8, 8, path=path).choose_path(ei) == path


def test_auto_forward_takes_the_chosen_path(monkeypatch):
    import lamp_pyg.nn.attention as attention
    taken = []
    for name in ("dense_attention", "fused_edge_attention"):
        engine = getattr(attention, name)
        monkeypatch.setattr(attention, name,
                            lambda *a, _e=engine, _n=name, **k: taken.append(_n) or _e(*a, **k))
    torch.manual_seed(0)
    L, B = 6, 2
    full = torch.stack(torch.meshgrid(torch.arange(L), torch.arange(L), indexing="ij")).view(2, -1)
    conv = LaMPAttention(8, 8, heads=2)
    sg = SharedGraph(full, L, L, B)
    assert conv.choose_path(sg) == "dense"
    conv(torch.randn(B * L, 8), sg)
    assert taken == ["dense_attention"]
    conv.edge_memory_budget = 0
    conv(torch.randn(B * L, 8), torch.tensor([[0, 1], [1, 0]]))
    assert taken == ["dense_attention", "fused_edge_attention"]


# --------------------------------------------------------------------------- dropout

@pytest.mark.parametrize("case", ["cb_empty_sample", "sg_no_incoming"])
def test_dropout_train_and_eval(case):
    x, edges, _, in_channels, _ = build_case(case)
    torch.manual_seed(0)
    conv = LaMPAttention(in_channels, 8, heads=2, dropout=0.5)
    plain = LaMPAttention(in_channels, 8, heads=2, dropout=0.0)
    plain.load_state_dict(conv.state_dict())

    conv.train()
    for path in PATHS:
        conv.path = path
        out, grads = run(conv, x, edges)
        assert torch.isfinite(out).all(), path
        assert all(g is None or torch.isfinite(g).all() for g in grads.values()), path
        again = conv(x, edges)
        assert not torch.allclose(out, again), f"{path}: dropout had no effect in training"

    conv.eval()
    expected = plain(x, edges)
    for path in PATHS:
        conv.path = path
        torch.testing.assert_close(conv(x, edges), expected, **TOL)
        torch.testing.assert_close(conv(x, edges), conv(x, edges))


# --------------------------------------------------------------------------- shared targets

@pytest.mark.parametrize("path", PATHS)
def test_shared_targets_equal_repeated_targets(path):
    """Target features given once ([T, F], LaMP's first decoder layer) give the same
    outputs and gradients as the same rows repeated per graph ([B * T, F]); the
    gradient of the shared rows is the sum over graphs."""
    g = torch.Generator().manual_seed(4)
    src_sizes, B, T = [3, 0, 2], 3, 4
    x_src = torch.randn(sum(src_sizes), 5, generator=g)
    x_lab = torch.randn(T, 7, generator=g)
    edges = CompleteBipartite.from_batch(batch_vector(src_sizes), batch_vector([T] * B), B)
    conv = LaMPAttention((5, 7), 8, heads=2, path=path)
    out_rep, grads_rep = run(conv, (x_src, x_lab.repeat(B, 1)), edges)
    out_sh, grads_sh = run(conv, (x_src, x_lab), edges)
    assert out_sh.shape == (B * T, 8)
    torch.testing.assert_close(out_sh, out_rep, **TOL)
    torch.testing.assert_close(grads_sh["x1"], grads_rep["x1"].view(B, T, 7).sum(0), **TOL)
    for name in grads_rep:
        if name != "x1":
            torch.testing.assert_close(grads_sh[name], grads_rep[name], **TOL)


def test_shared_targets_wrong_row_count_is_an_error():
    edges = CompleteBipartite.from_batch(batch_vector([2, 2]), batch_vector([4, 4]), 2)
    conv = LaMPAttention(6, 6, heads=2)
    with pytest.raises(ValueError, match="one per target node \\(8\\).*one per target "
                                         "position \\(4\\)"):
        conv((torch.randn(4, 6), torch.randn(3, 6)), edges)


# --------------------------------------------------------------------------- duplicate edges

@pytest.mark.parametrize("path", PATHS)
def test_shared_graph_with_duplicate_edges_means_its_edge_index(path):
    """A SharedGraph computes exactly what its explicit to_edge_index() computes on the
    edge path, duplicates included (each copy of an edge is one message), on every path."""
    e0 = torch.tensor([[0, 1, 0, 2, 0, 2, 2], [1, 1, 1, 2, 1, 0, 0]])  # (0->1) x3, (2->0) x2
    sg = SharedGraph(e0, 3, 3, 2)
    x = torch.randn(6, 8, generator=torch.Generator().manual_seed(0))
    torch.manual_seed(0)
    conv = LaMPAttention(8, 8, heads=2, path="edge")
    ref_out, ref_grads = run(conv, x, sg.to_edge_index())
    conv.path = path
    out, grads = run(conv, x, sg)
    torch.testing.assert_close(out, ref_out, **TOL)
    for n in ref_grads:
        torch.testing.assert_close(grads[n], ref_grads[n], **TOL, msg=f"{path}: d/d{n}")
    # ... which is not the deduplicated graph
    conv.path = "edge"
    dedup = SharedGraph(torch.tensor([[0, 2, 2], [1, 2, 0]]), 3, 3, 2)
    assert not torch.allclose(conv(x, dedup), ref_out, atol=1e-3)

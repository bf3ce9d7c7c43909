"""LaMP layers inside PyG's heterogeneous tooling, under torch.compile, and with or
without torch-scatter."""
import math

import pytest
import torch
import torch.nn.functional as F
import torch_geometric.transforms as T
from torch_geometric import seed_everything
from torch_geometric.datasets import FakeHeteroDataset
from torch_geometric.nn import HeteroConv, Linear, to_hetero

from lamp_pyg.nn import CompleteBipartite, LaMPAttention, LaMPBlock, SharedGraph
from tests.nn.conftest import use_scatter_backend

TOL = dict(atol=1e-5, rtol=1e-5)


@pytest.fixture
def hetero_data():
    seed_everything(12345)  # FakeHeteroDataset draws from Python's random as well as torch
    dataset = FakeHeteroDataset(num_graphs=1, num_node_types=3, num_edge_types=4,
                                avg_num_nodes=20, avg_num_channels=8, avg_degree=3,
                                num_classes=3, transform=T.ToUndirected())
    data = dataset[0]
    # ToUndirected added reverse edges: every node type receives messages
    assert {dst for _, _, dst in data.edge_types} == set(data.node_types)
    labelled = [nt for nt in data.node_types if "y" in data[nt]]
    assert len(labelled) == 1
    return data, labelled[0]


def train(model, data, target, steps=25, lr=0.01):
    with torch.no_grad():  # materialise lazy parameters before building the optimiser
        model(data.x_dict, data.edge_index_dict)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    losses = []
    for _ in range(steps):
        opt.zero_grad()
        out = model(data.x_dict, data.edge_index_dict)
        out = out[target] if isinstance(out, dict) else out
        loss = F.cross_entropy(out, data[target].y)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return losses


# --------------------------------------------------------------------------- HeteroConv

class HeteroLaMP(torch.nn.Module):
    def __init__(self, metadata, target, channels=16, num_classes=3):
        super().__init__()
        node_types, edge_types = metadata
        self.target = target
        self.lin_in = torch.nn.ModuleDict({nt: Linear(-1, channels) for nt in node_types})
        self.conv1 = HeteroConv({et: LaMPAttention((-1, -1), channels, heads=2)
                                 for et in edge_types}, aggr="sum")
        self.conv2 = HeteroConv({et: LaMPBlock(channels, channels, heads=2, ff_channels=32)
                                 for et in edge_types}, aggr="sum")
        self.lin_out = Linear(channels, num_classes)

    def forward(self, x_dict, edge_index_dict):
        x_dict = {nt: self.lin_in[nt](x) for nt, x in x_dict.items()}
        x_dict = {nt: x.relu() for nt, x in self.conv1(x_dict, edge_index_dict).items()}
        x_dict = self.conv2(x_dict, edge_index_dict)
        return self.lin_out(x_dict[self.target])


def test_hetero_conv_with_lamp_layers(hetero_data):
    data, target = hetero_data
    torch.manual_seed(0)
    model = HeteroLaMP(data.metadata(), target)
    with torch.no_grad():
        out = model(data.x_dict, data.edge_index_dict)
    assert out.shape == (data[target].num_nodes, 3)
    assert len(model.conv1.convs) == len(data.edge_types)
    for conv in model.conv1.convs.values():
        assert conv.lin_key.weight.shape == (16, 16)  # after lin_in every type has 16 channels
    losses = train(model, data, target)
    assert all(math.isfinite(v) for v in losses)
    assert losses[-1] < 0.7 * losses[0], losses


# --------------------------------------------------------------------------- to_hetero

class HomoLaMP(torch.nn.Module):
    def __init__(self, channels=16, num_classes=3):
        super().__init__()
        self.conv1 = LaMPAttention((-1, -1), channels, heads=2)
        self.conv2 = LaMPAttention((-1, -1), channels, heads=2)
        self.lin = Linear(-1, num_classes)

    def forward(self, x, edge_index):
        x = self.conv1(x, edge_index).relu()
        x = self.conv2(x, edge_index).relu()
        return self.lin(x)


def test_to_hetero_with_lazy_lamp_attention(hetero_data):
    data, target = hetero_data
    torch.manual_seed(0)
    model = to_hetero(HomoLaMP(), data.metadata(), aggr="sum")
    with torch.no_grad():
        out = model(data.x_dict, data.edge_index_dict)
    assert set(out) == set(data.node_types)
    assert out[target].shape == (data[target].num_nodes, 3)
    # one lazily sized copy per edge type: keys from the source type, queries from the target
    for src, rel, dst in data.edge_types:
        conv = model.conv1[f"{src}__{rel}__{dst}"]
        assert isinstance(conv, LaMPAttention)
        assert conv.lin_key.weight.shape == (16, data[src].num_features)
        assert conv.lin_query.weight.shape == (16, data[dst].num_features)
    losses = train(model, data, target)
    assert all(math.isfinite(v) for v in losses)
    assert losses[-1] < 0.7 * losses[0], losses


# --------------------------------------------------------------------------- torch.compile

def _compile_cases():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(6, 8, generator=g)
    ei = torch.tensor([[0, 1, 2, 3, 4, 5, 0, 3], [1, 2, 0, 4, 5, 3, 0, 3]])
    sg = SharedGraph(torch.tensor([[0, 1, 2, 0, 2], [1, 2, 0, 0, 2]]), 3, 3, 2)
    # built outside the compiled region, as LaMP.prepare does
    cb = CompleteBipartite.from_batch(torch.tensor([0, 0, 2, 2, 2]),
                                      torch.tensor([0, 0, 1, 1, 2, 2]), 3)
    xb = (torch.randn(5, 8, generator=g), torch.randn(6, 8, generator=g))
    return {
        "edge-edge_index": ("edge", x, ei),
        "fused-edge_index": ("fused", x, ei),
        "dense-SharedGraph": ("dense", x, sg),
        "dense-CompleteBipartite": ("dense", xb, cb),
        "edge-SharedGraph": ("edge", x, sg),
        "edge-CompleteBipartite": ("edge", xb, cb),
        "fused-CompleteBipartite": ("fused", xb, cb),
    }


@pytest.mark.parametrize("case", list(_compile_cases()))
def test_compile_no_graph_breaks(case):
    path, x, edges = _compile_cases()[case]
    torch.manual_seed(0)
    conv = LaMPAttention(8, 8, heads=2, path=path).eval()
    expected = conv(x, edges)
    torch._dynamo.reset()
    explanation = torch._dynamo.explain(conv)(x, edges)
    assert explanation.graph_break_count == 0, [str(r.reason) for r in explanation.break_reasons]
    assert explanation.graph_count == 1
    torch._dynamo.reset()
    compiled = torch.compile(conv, backend="eager", fullgraph=True)
    torch.testing.assert_close(compiled(x, edges), expected, **TOL)


def test_compiled_gradients_match_eager():
    path, x, edges = _compile_cases()["dense-CompleteBipartite"]
    torch.manual_seed(0)
    conv = LaMPAttention(8, 8, heads=2, path=path)

    def grads(module):
        xs = tuple(t.detach().clone().requires_grad_() for t in x)
        conv.zero_grad(set_to_none=True)
        module(xs, edges).square().sum().backward()
        return [t.grad for t in xs] + [p.grad for p in conv.parameters()]

    eager = grads(conv)
    torch._dynamo.reset()
    compiled = grads(torch.compile(conv, backend="eager", fullgraph=True))
    for a, b in zip(compiled, eager):
        torch.testing.assert_close(a, b, **TOL)


# --------------------------------------------------------------------------- torch-scatter

def _edge_and_fused(x, ei):
    torch.manual_seed(0)
    conv = LaMPAttention(8, 8, heads=2)
    results = {}
    for path in ("edge", "fused"):
        conv.path = path
        xg = x.clone().requires_grad_()
        out = conv(xg, ei)
        out.square().sum().backward()
        results[path] = [out.detach(), xg.grad] + [p.grad.clone() for p in conv.parameters()]
        conv.zero_grad(set_to_none=True)
    return results


def test_native_and_torch_scatter_agree(monkeypatch, scatter_backend):
    """Same outputs and gradients with WITH_TORCH_SCATTER off and (when installed) on.

    Note: on CPU, PyG 2.8 routes the scatters these paths need (sum, and max on tensors
    that are not CUDA) to torch's native kernels even when torch-scatter is present."""
    g = torch.Generator().manual_seed(0)
    x = torch.randn(7, 8, generator=g)
    ei = torch.tensor([[0, 1, 2, 3, 4, 5, 6, 0, 2], [1, 2, 0, 4, 5, 3, 0, 0, 6]])
    here = _edge_and_fused(x, ei)
    for a, b in zip(here["fused"], here["edge"]):
        torch.testing.assert_close(a, b, **TOL)
    try:  # the other backend, in this process
        use_scatter_backend(monkeypatch, not scatter_backend)
    except pytest.skip.Exception:
        return  # torch-scatter missing: nothing to compare against (its own param is skipped)
    there = _edge_and_fused(x, ei)
    for path in here:
        for a, b in zip(here[path], there[path]):
            torch.testing.assert_close(a, b, **TOL)

"""A ``torch.sparse`` adjacency (PyG's transposed convention: ``adj_t[target, source]``)
on every path that takes explicit edges, and a clear error on the dense path."""
import pytest
import torch
from torch_geometric.utils import to_torch_coo_tensor, to_torch_csr_tensor

from lamp_pyg.nn import LaMPAttention, LaMPBlock

TOL = dict(atol=1e-5, rtol=1e-5)
EI = torch.tensor([[0, 1, 2, 3, 4, 0, 2], [1, 2, 0, 4, 0, 0, 1]])  # node 3: no incoming edge


def _adjacencies():
    return {
        "coo": to_torch_coo_tensor(EI.flip(0), size=(5, 5)),
        "csr": to_torch_csr_tensor(EI.flip(0), size=(5, 5)),
        # uncoalesced, entries out of order
        "coo_uncoalesced": torch.sparse_coo_tensor(EI.flip(0)[:, [3, 0, 6, 2, 5, 1, 4]],
                                                   torch.ones(7), (5, 5)),
    }


@pytest.mark.parametrize("layout", list(_adjacencies()))
@pytest.mark.parametrize("path", ["auto", "edge", "fused"])
def test_sparse_adjacency_equals_edge_index(layout, path):
    adj = _adjacencies()[layout]
    x = torch.randn(5, 8, generator=torch.Generator().manual_seed(0))
    torch.manual_seed(0)
    conv = LaMPAttention(8, 8, heads=2, path="edge")
    expected = conv(x, EI)
    conv.path = path
    torch.testing.assert_close(conv(x, adj), expected, **TOL)
    conv.edge_memory_budget = 0  # auto: fused
    torch.testing.assert_close(conv(x, adj), expected, **TOL)
    block = LaMPBlock(8, 8, heads=2, path=path)
    torch.testing.assert_close(block(x, adj), block(x, EI), **TOL)


def test_auto_counts_the_stored_entries_of_a_sparse_adjacency():
    N = 10_000
    ei = torch.tensor([[0, 1], [1, 0]])
    for adj in (to_torch_coo_tensor(ei, size=(N, N)), to_torch_csr_tensor(ei, size=(N, N)),
                # uncoalesced, the first edge stored twice: still 2 edges
                torch.sparse_coo_tensor(ei[:, [0, 1, 0]], torch.ones(3), (N, N))):
        conv = LaMPAttention(8, 8, heads=2, edge_memory_budget=4 * 2 * 2 * 4 * 4)  # 2 edges
        assert conv.choose_path(adj) == "edge"
        conv.edge_memory_budget -= 1
        assert conv.choose_path(adj) == "fused"


def test_sparse_adjacency_attention_weights():
    adj = _adjacencies()["coo"]
    x = torch.randn(5, 8, generator=torch.Generator().manual_seed(0))
    conv = LaMPAttention(8, 8, heads=2)
    for path in ("edge", "fused"):
        conv.path = path
        _, (ei, alpha) = conv(x, adj, return_attention_weights=True)
        assert ei.shape == (2, 7) and alpha.shape == (7, 2)
        _, (ei_ref, alpha_ref) = conv(x, ei, return_attention_weights=True)
        torch.testing.assert_close(alpha, alpha_ref, **TOL)
        # the same edges as EI, in the sparse tensor's (target, source) order
        assert sorted(map(tuple, ei.t().tolist())) == sorted(map(tuple, EI.t().tolist()))


def test_sparse_adjacency_errors():
    adj = _adjacencies()["coo"]
    conv = LaMPAttention(8, 8, path="dense")
    with pytest.raises(ValueError, match="dense.*CompleteBipartite or SharedGraph"):
        conv(torch.randn(5, 8), adj)
    conv.path = "fused"
    with pytest.raises(ValueError, match=r"adjacency.*\[5, 4\].*\(5, 5\)"):
        conv((torch.randn(4, 8), torch.randn(5, 8)), adj)  # 4 sources, adj_t has 5 columns

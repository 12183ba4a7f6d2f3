"""Graphs the benchmark scripts share: edge-list files, periodic square lattices and a greedy colouring
into independent blocks (the blocks THRML's runs and ours are given alike)."""


def read_edges(path):
    rows = [l.split() for l in open(path) if l.strip() and not l.startswith("#")]
    n, m = int(rows[0][0]), int(rows[0][1])
    edges = [(int(a), int(b)) for a, b in rows[1:]]
    assert len(edges) == m
    return n, edges


def torus_edges(side):
    """Periodic side x side square lattice, node x + side * y, edges to +x and +y (as `Lattice::square`)."""
    edges = []
    for y in range(side):
        for x in range(side):
            i = x + side * y
            edges.append((i, (x + 1) % side + side * y))
            edges.append((i, x + side * ((y + 1) % side)))
    return side * side, edges


def greedy_colouring(n, edges):
    neighbours = [[] for _ in range(n)]
    for a, b in edges:
        neighbours[a].append(b)
        neighbours[b].append(a)
    colour = [-1] * n
    for v in sorted(range(n), key=lambda v: -len(neighbours[v])):
        taken = {colour[u] for u in neighbours[v]}
        colour[v] = next(c for c in range(n) if c not in taken)
    return [[v for v in range(n) if colour[v] == c] for c in range(max(colour) + 1)]

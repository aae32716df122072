"""Vectorised twin of Winograd convolution in array-module code: what CuPy runs.

The same passes as ``winograd_cpu.py`` (tiles transformed, ``A*A`` batched products,
tiles transformed back), with ``xp`` taken from the array and no loop over pixels or
tiles. Entry ``(i, j)`` of every tile at once is one strided slice of the zero-framed
image (as ``xp.py``'s window cells are)::

    xpad[:, i:i + step*(TH-1) + 1:step, j:j + step*(TW-1) + 1:step, :]     (N, TH, TW, C)

so a tile transform ``L @ d @ L.T`` is a few dozen scaled additions of such slices, one
pass along ``j`` then one along ``i``, skipping the zeros of ``L``. Only functions NumPy
and CuPy share are used (``zeros``, ``empty``, slices, ``reshape``, ``matmul``).
"""
from .. import backend
from .geometry import conv_geometry
from .winograd import SLICES, check_kernel, input_gradient_padding, input_size, matrices, tiles


def _transform_1d(L, rows):
    """``out[a] = sum_k L[a, k] * rows[k]`` over a list of arrays, skipping zero weights."""
    out = []
    for a in range(L.shape[0]):
        acc = None
        for k, w in enumerate(L[a]):
            if w != 0:
                term = rows[k] * rows[k].dtype.type(w) if w != 1 else rows[k]
                acc = term if acc is None else acc + term
        out.append(acc if acc is not None else rows[0] * 0)
    return out


def _to_tiles(xp, x, L, step, PT, PL, TH, TW):
    """``out[xi*A + nu, t] = sum_ij L[xi, i] L[nu, j] x[n, th*step - PT + i, tw*step - PL + j]``
    (zero outside): ``(N, H, W, C)`` -> ``(A*A, N*TH*TW, C)``."""
    N, H, W, C = x.shape
    A, K = L.shape
    Hp, Wp = (TH - 1) * step + K, (TW - 1) * step + K      # the frame every patch fits in
    xpad = xp.zeros((N, Hp, Wp, C), dtype=x.dtype)
    h, w = min(H, Hp - PT), min(W, Wp - PL)
    xpad[:, PT:PT + h, PL:PL + w] = x[:, :h, :w]
    span_h, span_w = step * (TH - 1) + 1, step * (TW - 1) + 1
    half = [_transform_1d(L, [xpad[:, i:i + span_h:step, j:j + span_w:step] for j in range(K)])
            for i in range(K)]                              # patch row i along j: half[i][nu]
    out = xp.empty((A, A, N, TH, TW, C), dtype=x.dtype)
    for nu in range(A):
        for xi, v in enumerate(_transform_1d(L, [half[i][nu] for i in range(K)])):   # along i
            out[xi, nu] = v
    return out.reshape(A * A, N * TH * TW, C)


def _from_tiles(xp, M, L, step, N, TH, TW, OH, OW, out):
    """``out[n, th*step + i, tw*step + j] = sum L[i, xi] L[j, nu] M[xi*A + nu, t]``, cut at
    ``(OH, OW)``: ``(A*A, N*TH*TW, F)`` -> ``(N, OH, OW, F)``."""
    m, A = L.shape
    F = M.shape[2]
    grid = M.reshape(A, A, N, TH, TW, F)
    half = [_transform_1d(L, [grid[xi, nu] for xi in range(A)])
            for nu in range(A)]                             # along xi: half[nu][i]
    ypad = xp.empty((N, TH * m, TW * m, F), dtype=M.dtype)
    for i in range(m):
        for j, y in enumerate(_transform_1d(L, [half[nu][i] for nu in range(A)])):   # along nu
            ypad[:, i::m, j::m] = y
    if out is None:
        return xp.ascontiguousarray(ypad[:, :OH, :OW])
    out[...] = ypad[:, :OH, :OW]
    return out


def _kernel_tiles(xp, kernel, G):
    """``U[xi*A + nu, c, f] = (G g[:, :, c, f] G.T)[xi, nu]``: ``(3, 3, C, F)`` ->
    ``(A*A, C, F)``."""
    A, (_, _, C, F) = G.shape[0], kernel.shape
    g = kernel.transpose(2, 3, 0, 1)                        # (C, F, 3, 3): a stack of 3x3 filters
    U = xp.matmul(xp.matmul(G, g), G.T)                     # (C, F, A, A)
    return xp.ascontiguousarray(U.transpose(2, 3, 0, 1)).reshape(A * A, C, F)


def _matrices(xp, m, dtype):
    """``(BT, G, AT)`` as arrays of ``xp`` in ``dtype`` (on the GPU for CuPy)."""
    return tuple(xp.asarray(M, dtype=dtype) for M in matrices(m))


def _products(xp, V, U, step):
    """``V[p] @ U[p]`` at every position, ``(P, T, K) @ (P, K, F)``; ``step`` terms at a time
    when ``winograd.SLICES`` says so."""
    step = step or V.shape[2]
    M = xp.matmul(V[:, :, :step], U[:, :step])
    for k0 in range(step, V.shape[2], step):
        M += xp.matmul(V[:, :, k0:k0 + step], U[:, k0:k0 + step])
    return M


def _tile_sums(xp, V, Z, step):
    """``V[p].T @ Z[p]`` summed over the tiles; ``step`` tiles at a time, added in float64,
    when ``winograd.SLICES`` says so."""
    if step is None:
        return xp.matmul(V.transpose(0, 2, 1), Z)
    total = 0
    for t0 in range(0, V.shape[1], step):
        total = total + xp.matmul(V[:, t0:t0 + step].transpose(0, 2, 1),
                                  Z[:, t0:t0 + step]).astype(xp.float64)
    return total.astype(V.dtype)


def _correlate(xp, x, U, m, PT, PL, OH, OW, out):
    """``y[n, oh, ow, f] = sum x[n, oh + ki - PT, ow + kj - PL, c] g[ki, kj, c, f]``, ``U`` the
    transformed ``g``: ``(A*A, C, F)``."""
    BT, _, AT = matrices(m)                                 # host copies: weights as numbers
    TH, TW = tiles(OH, OW, m)
    M = _products(xp, _to_tiles(xp, x, BT, m, PT, PL, TH, TW), U, SLICES[m])
    return _from_tiles(xp, M, AT, m, x.shape[0], TH, TW, OH, OW, out)


def forward(x, kernel, m, padding, out=None):
    """A 3x3, stride-1 convolution by F(m x m, 3 x 3). See ``winograd_reference.forward``.

    Args:
        x: (N, H, W, C) float32 or float64. kernel: (3, 3, C, F).
        m: output tile size, 2 or 4. out: optional (N, OH, OW, F) array.

    Returns:
        y: (N, OH, OW, F), dtype of ``x``.
    """
    check_kernel(kernel, "winograd forward")
    xp = backend.get_array_module(x)
    _, H, W, _ = x.shape
    OH, OW, PT, PB, PL, PR = conv_geometry(H, W, 3, 3, 1, 1, padding)
    G = _matrices(xp, m, x.dtype)[1]
    return _correlate(xp, x, _kernel_tiles(xp, kernel.astype(x.dtype), G), m, PT, PL,
                      OH, OW, out)


def backward_input(dy, kernel, m, padding, out=None):
    """``dx``: ``dy`` correlated with the turned kernel. See ``winograd_reference.backward_input``.

    Args:
        dy: (N, OH, OW, F) float32 or float64. kernel: (3, 3, C, F).
        out: optional (N, H, W, C) array.

    Returns:
        dx: (N, H, W, C), dtype of ``dy``.
    """
    check_kernel(kernel, "winograd backward_input")
    xp = backend.get_array_module(dy)
    _, OH, OW, _ = dy.shape
    H, W = input_size(OH, OW, padding)
    _, _, PT, PB, PL, PR = conv_geometry(H, W, 3, 3, 1, 1, padding)
    top, _, left, _ = input_gradient_padding(PT, PB, PL, PR)
    G = _matrices(xp, m, dy.dtype)[1]
    turned = kernel[::-1, ::-1].transpose(0, 1, 3, 2).astype(dy.dtype)     # (3, 3, F, C)
    return _correlate(xp, dy, _kernel_tiles(xp, turned, G), m, top, left, H, W, out)


def backward_kernel(x, dy, m, padding):
    """``dW = G.T [sum over tiles (A dY A.T) * V] G``. See ``winograd_reference.backward_kernel``.

    Args:
        x: (N, H, W, C) float32 or float64. dy: (N, OH, OW, F).

    Returns:
        dW: (3, 3, C, F), dtype of ``x``.
    """
    xp = backend.get_array_module(x)
    N, H, W, C = x.shape
    OH, OW, PT, PB, PL, PR = conv_geometry(H, W, 3, 3, 1, 1, padding)
    if tuple(dy.shape[:3]) != (N, OH, OW):
        raise ValueError(f"winograd backward_kernel: expected dy of shape {(N, OH, OW)} + "
                         f"(F,), got {tuple(dy.shape)}")
    BT, G, AT = matrices(m)
    A, F = m + 2, dy.shape[3]
    TH, TW = tiles(OH, OW, m)
    V = _to_tiles(xp, x, BT, m, PT, PL, TH, TW)                     # (A*A, T, C)
    Z = _to_tiles(xp, dy.astype(x.dtype), AT.T, m, 0, 0, TH, TW)    # (A*A, T, F)
    S = _tile_sums(xp, V, Z, SLICES[m]).reshape(A, A, C, F)
    GT = xp.asarray(G.T, dtype=x.dtype)                              # (3, A)
    dW = xp.matmul(xp.matmul(GT, S.transpose(2, 3, 0, 1)), GT.T)     # (C, F, 3, 3)
    return xp.ascontiguousarray(dW.transpose(2, 3, 0, 1))

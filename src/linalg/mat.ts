/**
 * Dense row-major float64 matrix: element (i, j) is `data[i * cols + j]`.
 * Kernels take output buffers so hot loops allocate nothing; the helpers here allocate.
 */
export interface Mat {
  /** Number of rows m. */
  readonly rows: number;
  /** Number of columns n. */
  readonly cols: number;
  /**
   * The m·n entries, row-major and contiguous: (i, j) at `data[i * cols + j]`, so row i is
   * `data.subarray(i * cols, (i + 1) * cols)` (row stride `cols`, column stride 1).
   */
  readonly data: Float64Array;
}

/** A rows × cols matrix of zeros. */
export function zeros(rows: number, cols: number): Mat {
  return { rows, cols, data: new Float64Array(rows * cols) };
}

/** Wrap an existing buffer (no copy); its length must be rows × cols. */
export function matFrom(rows: number, cols: number, data: Float64Array): Mat {
  if (data.length !== rows * cols) {
    throw new RangeError(`matFrom: data length must be rows*cols = ${rows * cols}; got ${data.length}`);
  }
  return { rows, cols, data };
}

/** Build from nested arrays (rows of equal length). */
export function fromRows(rows: readonly (readonly number[])[]): Mat {
  const r = rows.length;
  const c = r === 0 ? 0 : rows[0].length;
  const out = zeros(r, c);
  for (let i = 0; i < r; i++) {
    if (rows[i].length !== c)
      throw new RangeError(`fromRows: row ${i} has ${rows[i].length} entries; expected ${c}`);
    for (let j = 0; j < c; j++) out.data[i * c + j] = rows[i][j];
  }
  return out;
}

/** Nested arrays, for tests and JSON. */
export function toRows(a: Mat): number[][] {
  const out: number[][] = [];
  for (let i = 0; i < a.rows; i++) out.push(Array.from(a.data.subarray(i * a.cols, (i + 1) * a.cols)));
  return out;
}

/** The n × n identity matrix. */
export function identity(n: number): Mat {
  const out = zeros(n, n);
  for (let i = 0; i < n; i++) out.data[i * n + i] = 1;
  return out;
}

/** A copy of `a` with its own `data` (same shape). */
export function clone(a: Mat): Mat {
  return { rows: a.rows, cols: a.cols, data: a.data.slice() };
}

/** Aᵀ, allocated: an n × m matrix for an m × n `a`. */
export function transpose(a: Mat): Mat {
  const out = zeros(a.cols, a.rows);
  const { rows, cols, data } = a;
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) out.data[j * rows + i] = data[i * cols + j];
  return out;
}

/** Frobenius norm, scaled to avoid overflow/underflow. */
export function frobenius(a: Mat): number {
  let scale = 0;
  let ssq = 1;
  const d = a.data;
  for (let i = 0; i < d.length; i++) {
    const v = d[i];
    if (v !== 0) {
      const av = Math.abs(v);
      if (scale < av) {
        ssq = 1 + ssq * (scale / av) * (scale / av);
        scale = av;
      } else ssq += (av / scale) * (av / scale);
    }
  }
  return scale * Math.sqrt(ssq);
}

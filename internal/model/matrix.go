package model

import "sync"

// Matrix is a dense row-major design matrix. Values are float32: half the
// memory of float64 (a few million shots × 60 features stay under a
// gigabyte), exact for every integer-valued and 0/1 feature, and the fit is
// computed in float64 on the values as stored.
type Matrix struct {
	Rows, Cols int
	Data       []float32

	// The preconditioner's eigendecomposition, computed on first use.
	// Data must not change after a fit has used the matrix.
	once   sync.Once
	mom    *moments
	momErr error
}

// NewMatrix returns a zero matrix.
func NewMatrix(rows, cols int) *Matrix {
	return &Matrix{Rows: rows, Cols: cols, Data: make([]float32, rows*cols)}
}

// Row returns row i, sharing storage.
func (m *Matrix) Row(i int) []float32 { return m.Data[i*m.Cols : (i+1)*m.Cols] }

// SetRow stores a float64 vector as row i.
func (m *Matrix) SetRow(i int, v []float64) {
	r := m.Row(i)
	for j, x := range v {
		r[j] = float32(x)
	}
}

// Subset copies the rows idx into a new matrix, and the matching labels.
func (m *Matrix) Subset(idx []int, y []int8) (*Matrix, []int8) {
	out := NewMatrix(len(idx), m.Cols)
	ys := make([]int8, len(idx))
	for k, i := range idx {
		copy(out.Row(k), m.Row(i))
		ys[k] = y[i]
	}
	return out, ys
}

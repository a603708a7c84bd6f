package parquetio

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"reflect"
	"slices"
	"strings"
	"unsafe"

	"github.com/parquet-go/parquet-go"
)

// field is one struct field of T and the column it is read from.
type field struct {
	name   string // column name
	column int    // leaf column index in the file
	kind   reflect.Kind
	offset uintptr
	phys   parquet.Kind

	// One row group's values of the column, decoded in a first pass: the
	// buffer of the physical type (strings for ByteArray).
	i32  []int32
	i64  []int64
	f32  []float32
	f64  []float64
	strs []string

	dict     parquet.Dictionary // dictionary whose values are decoded below
	dictI32  []int32
	dictI64  []int64
	dictF32  []float32
	dictF64  []float64
	dictStrs []string
}

// Reader decodes a Parquet file into []T, one row group at a time. T is a
// flat struct whose parquet-tagged fields are int8..int64, float32, float64
// or string; each reads the column its tag names (nested and repeated
// columns are not supported).
type Reader[T any] struct {
	path   string
	f      *os.File
	pf     *parquet.File
	fields []*field
	intern map[string]string
}

// maxInterned bounds the string intern table; beyond it strings are
// allocated per value. The pipeline's text columns have a few thousand
// distinct values at most.
const maxInterned = 1 << 20

// Open opens path for reading into T. Every parquet-tagged field of T must
// have a column of a compatible type in the file; other columns are
// ignored.
func Open[T any](path string) (*Reader[T], error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	pf, err := parquet.OpenFile(f, st.Size(), parquet.SkipBloomFilters(true))
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("%s: not a Parquet file: %w", path, err)
	}
	r := &Reader[T]{path: path, f: f, pf: pf, intern: map[string]string{}}
	if err := r.bind(); err != nil {
		f.Close()
		return nil, err
	}
	return r, nil
}

func (r *Reader[T]) bind() error {
	typ := reflect.TypeFor[T]()
	if typ.Kind() != reflect.Struct {
		return fmt.Errorf("parquetio: %s is not a struct", typ)
	}
	schema := r.pf.Schema()
	for i := range typ.NumField() {
		sf := typ.Field(i)
		tag := sf.Tag.Get("parquet")
		if tag == "" || tag == "-" || !sf.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		if name == "" {
			name = sf.Name
		}
		leaf, ok := schema.Lookup(name)
		if !ok || leaf.Node == nil {
			return fmt.Errorf("%s: column %q is missing", r.path, name)
		}
		if leaf.MaxRepetitionLevel > 0 {
			return fmt.Errorf("%s: column %q is repeated; want one value per row", r.path, name)
		}
		fd := &field{name: name, column: leaf.ColumnIndex, kind: sf.Type.Kind(), offset: sf.Offset, phys: leaf.Node.Type().Kind()}
		switch fd.kind {
		case reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64, reflect.Float32, reflect.Float64, reflect.String:
		default:
			return fmt.Errorf("parquetio: field %s of %s: Go type %s is not supported (ints, floats and strings are)", sf.Name, typ, sf.Type)
		}
		if !compatible(fd.kind, fd.phys) {
			return fmt.Errorf("%s: column %q holds %s values, which do not fit Go %s", r.path, name, fd.phys, fd.kind)
		}
		r.fields = append(r.fields, fd)
	}
	return nil
}

func compatible(k reflect.Kind, p parquet.Kind) bool {
	switch k {
	case reflect.Int8, reflect.Int16, reflect.Int32:
		return p == parquet.Int32
	case reflect.Int64:
		return p == parquet.Int32 || p == parquet.Int64
	case reflect.Float32, reflect.Float64:
		return p == parquet.Float || p == parquet.Double
	case reflect.String:
		return p == parquet.ByteArray
	}
	return false
}

// Path returns the file's path.
func (r *Reader[T]) Path() string { return r.path }

// NumRows returns the number of rows in the file.
func (r *Reader[T]) NumRows() int64 { return r.pf.NumRows() }

// NumRowGroups returns the number of row groups.
func (r *Reader[T]) NumRowGroups() int { return len(r.pf.RowGroups()) }

// Close closes the file.
func (r *Reader[T]) Close() error { return r.f.Close() }

// ReadRowGroup decodes row group i into dst, reusing its storage, and
// returns it. Strings are interned: equal values share memory across row
// groups.
//
// Each column is first decoded into a contiguous buffer, then the buffers
// are transposed into the structs block by block. Filling the structs
// column by column over the whole row group instead would stream the row
// group's memory through the cache once per column, which made decoding
// several times slower.
func (r *Reader[T]) ReadRowGroup(i int, dst []T) ([]T, error) {
	rg := r.pf.RowGroups()[i]
	n := int(rg.NumRows())
	if cap(dst) < n {
		dst = make([]T, n)
	}
	dst = dst[:n]
	if n == 0 {
		return dst, nil
	}
	chunks := rg.ColumnChunks()
	for _, fd := range r.fields {
		if err := r.decode(chunks[fd.column], fd, n); err != nil {
			return nil, fmt.Errorf("%s: row group %d: column %q: %w", r.path, i, fd.name, err)
		}
	}
	const block = 512
	stride := unsafe.Sizeof(*new(T))
	for lo := 0; lo < n; lo += block {
		hi := min(n, lo+block)
		base := unsafe.Pointer(&dst[lo])
		for _, fd := range r.fields {
			if err := fd.scatter(base, stride, lo, hi); err != nil {
				return nil, fmt.Errorf("%s: row group %d: column %q: row %d: %w", r.path, i, fd.name, lo, err)
			}
		}
	}
	return dst, nil
}

// Each calls fn with each row group's rows in order. The batch is reused:
// fn must copy what it keeps. It stops at the first error, or when ctx is
// done.
func (r *Reader[T]) Each(ctx context.Context, fn func(batch []T) error) error {
	var buf []T
	for i := range r.NumRowGroups() {
		if err := ctx.Err(); err != nil {
			return err
		}
		var err error
		if buf, err = r.ReadRowGroup(i, buf); err != nil {
			return err
		}
		if err := fn(buf); err != nil {
			return err
		}
	}
	return nil
}

// Each opens path and calls fn with each row group's rows; see Reader.Each.
// It returns the number of rows read.
func Each[T any](ctx context.Context, path string, fn func(batch []T) error) (int64, error) {
	r, err := Open[T](path)
	if err != nil {
		return 0, err
	}
	defer r.Close()
	var n int64
	err = r.Each(ctx, func(b []T) error {
		n += int64(len(b))
		return fn(b)
	})
	return n, err
}

var errNulls = errors.New("column has nulls; want a value in every row")

// decode reads every page of one column chunk into fd's buffer for its
// physical type.
func (r *Reader[T]) decode(cc parquet.ColumnChunk, fd *field, n int) error {
	fd.i32, fd.i64, fd.f32, fd.f64, fd.strs = fd.i32[:0], fd.i64[:0], fd.f32[:0], fd.f64[:0], fd.strs[:0]
	// A dictionary belongs to one column chunk. Forget the last one rather
	// than trust that a pooled object is never reused for another chunk.
	fd.dict = nil
	switch fd.phys { // one allocation per reader and column, not a doubling series
	case parquet.Int32:
		fd.i32 = slices.Grow(fd.i32, n)
	case parquet.Int64:
		fd.i64 = slices.Grow(fd.i64, n)
	case parquet.Float:
		fd.f32 = slices.Grow(fd.f32, n)
	case parquet.Double:
		fd.f64 = slices.Grow(fd.f64, n)
	case parquet.ByteArray:
		fd.strs = slices.Grow(fd.strs, n)
	}
	pages := cc.Pages()
	defer pages.Close()
	row := 0
	for {
		p, err := pages.ReadPage()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		err = r.decodePage(fd, p)
		k := int(p.NumValues())
		parquet.Release(p)
		if err != nil {
			return fmt.Errorf("row %d: %w", row, err)
		}
		row += k
	}
	if got := max(len(fd.i32), len(fd.i64), len(fd.f32), len(fd.f64), len(fd.strs)); row != n || got != n {
		return fmt.Errorf("pages hold %d values, the row group %d rows", got, n)
	}
	return nil
}

func (r *Reader[T]) decodePage(fd *field, p parquet.Page) error {
	if p.NumNulls() > 0 {
		return errNulls
	}
	k := int(p.NumValues())
	v := p.Data()
	if d := p.Dictionary(); d != nil {
		if err := r.loadDict(fd, d); err != nil {
			return err
		}
		idx := v.Int32()
		if len(idx) != k {
			return fmt.Errorf("page has %d indexes, want %d", len(idx), k)
		}
		size := max(len(fd.dictI32), len(fd.dictI64), len(fd.dictF32), len(fd.dictF64), len(fd.dictStrs))
		for _, j := range idx {
			if j < 0 || int(j) >= size {
				return fmt.Errorf("dictionary index %d out of range", j)
			}
		}
		switch fd.phys {
		case parquet.Int32:
			for _, j := range idx {
				fd.i32 = append(fd.i32, fd.dictI32[j])
			}
		case parquet.Int64:
			for _, j := range idx {
				fd.i64 = append(fd.i64, fd.dictI64[j])
			}
		case parquet.Float:
			for _, j := range idx {
				fd.f32 = append(fd.f32, fd.dictF32[j])
			}
		case parquet.Double:
			for _, j := range idx {
				fd.f64 = append(fd.f64, fd.dictF64[j])
			}
		case parquet.ByteArray:
			for _, j := range idx {
				fd.strs = append(fd.strs, fd.dictStrs[j])
			}
		}
		return nil
	}
	if fd.phys != parquet.ByteArray {
		if got := int(v.Size()) / typeSize(fd.phys); got != k {
			return fmt.Errorf("page has %d values, want %d", got, k)
		}
	}
	switch fd.phys {
	case parquet.Int32:
		fd.i32 = append(fd.i32, v.Int32()...)
	case parquet.Int64:
		fd.i64 = append(fd.i64, v.Int64()...)
	case parquet.Float:
		fd.f32 = append(fd.f32, v.Float()...)
	case parquet.Double:
		fd.f64 = append(fd.f64, v.Double()...)
	case parquet.ByteArray:
		data, off := v.ByteArray()
		if len(off) != k+1 {
			return fmt.Errorf("page has %d offsets, want %d", len(off), k+1)
		}
		for i := range k {
			fd.strs = append(fd.strs, r.str(data[off[i]:off[i+1]]))
		}
	}
	return nil
}

// loadDict decodes a dictionary's values once per column chunk: the pages
// of a chunk share it.
func (r *Reader[T]) loadDict(fd *field, d parquet.Dictionary) error {
	if fd.dict == d {
		return nil
	}
	fd.dict = d
	fd.dictI32, fd.dictI64, fd.dictF32, fd.dictF64, fd.dictStrs = nil, nil, nil, nil, nil
	v := d.Page().Data()
	switch fd.phys {
	case parquet.Int32:
		fd.dictI32 = append(fd.dictI32, v.Int32()...)
	case parquet.Int64:
		fd.dictI64 = append(fd.dictI64, v.Int64()...)
	case parquet.Float:
		fd.dictF32 = append(fd.dictF32, v.Float()...)
	case parquet.Double:
		fd.dictF64 = append(fd.dictF64, v.Double()...)
	case parquet.ByteArray:
		data, off := v.ByteArray()
		for i := 0; i+1 < len(off); i++ {
			fd.dictStrs = append(fd.dictStrs, r.str(data[off[i]:off[i+1]]))
		}
	default:
		return fmt.Errorf("unsupported dictionary of %s", fd.phys)
	}
	return nil
}

// scatter writes rows lo..hi of the decoded column into the structs at
// base (the struct of row lo), stride bytes apart. Each Go kind has its own
// loop: this is the hot path of every read.
func (fd *field) scatter(base unsafe.Pointer, stride uintptr, lo, hi int) error {
	// at(i) is the field of row lo+i. Pointers are computed per row, never
	// advanced past the last one: a pointer beyond the slice is invalid
	// even unused (checkptr, on under -race, rejects it).
	first := unsafe.Add(base, fd.offset)
	at := func(i int) unsafe.Pointer { return unsafe.Add(first, uintptr(i)*stride) }
	switch fd.phys {
	case parquet.Int32:
		vals := fd.i32[lo:hi]
		switch fd.kind {
		case reflect.Int8:
			for i, x := range vals {
				if x < math.MinInt8 || x > math.MaxInt8 {
					return fmt.Errorf("value %d does not fit int8", x)
				}
				*(*int8)(at(i)) = int8(x)
			}
		case reflect.Int16:
			for i, x := range vals {
				if x < math.MinInt16 || x > math.MaxInt16 {
					return fmt.Errorf("value %d does not fit int16", x)
				}
				*(*int16)(at(i)) = int16(x)
			}
		case reflect.Int32:
			for i, x := range vals {
				*(*int32)(at(i)) = x
			}
		case reflect.Int64:
			for i, x := range vals {
				*(*int64)(at(i)) = int64(x)
			}
		}
	case parquet.Int64:
		for i, x := range fd.i64[lo:hi] {
			*(*int64)(at(i)) = x
		}
	case parquet.Float:
		vals := fd.f32[lo:hi]
		if fd.kind == reflect.Float32 {
			for i, x := range vals {
				*(*float32)(at(i)) = x
			}
		} else {
			for i, x := range vals {
				*(*float64)(at(i)) = float64(x)
			}
		}
	case parquet.Double:
		vals := fd.f64[lo:hi]
		if fd.kind == reflect.Float32 {
			for i, x := range vals {
				*(*float32)(at(i)) = float32(x)
			}
		} else {
			for i, x := range vals {
				*(*float64)(at(i)) = x
			}
		}
	case parquet.ByteArray:
		for i, x := range fd.strs[lo:hi] {
			*(*string)(at(i)) = x
		}
	}
	return nil
}

func typeSize(k parquet.Kind) int {
	switch k {
	case parquet.Int64, parquet.Double:
		return 8
	}
	return 4
}

// str returns b as an interned string.
func (r *Reader[T]) str(b []byte) string {
	if s, ok := r.intern[string(b)]; ok {
		return s
	}
	s := string(b)
	if len(r.intern) < maxInterned {
		r.intern[s] = s
	}
	return s
}

package dataset

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/nba-mlops/nba-mlops/internal/nba"
)

// HeaderError reports a header that does not hold the Kaggle columns. It
// names every missing, unknown and repeated column at once, so one run tells
// the user everything to fix.
type HeaderError struct {
	File      string
	Missing   []string
	Unknown   []string
	Duplicate []string
	Problem   string // set when the header could not be read at all
}

func (e *HeaderError) Error() string {
	var parts []string
	if e.Problem != "" {
		parts = append(parts, e.Problem)
	}
	if len(e.Missing) > 0 {
		parts = append(parts, "missing columns "+quoteList(e.Missing))
	}
	if len(e.Unknown) > 0 {
		parts = append(parts, "unknown columns "+quoteList(e.Unknown))
	}
	if len(e.Duplicate) > 0 {
		parts = append(parts, "repeated columns "+quoteList(e.Duplicate))
	}
	return fmt.Sprintf("%s: header: %s", e.File, strings.Join(parts, "; "))
}

func quoteList(s []string) string {
	q := make([]string, len(s))
	for i, v := range s {
		q[i] = strconv.Quote(v)
	}
	return strings.Join(q, ", ")
}

// Record is one data row. Fields holds the values in Kaggle column order
// (an absent optional column is ""); Raw holds the fields as they appeared in
// the file, for quarantine files. Both are reused by the next Read unless
// copied.
type Record struct {
	Line   int
	Fields []string
	Raw    []string
}

// Reader reads shot rows from a CSV stream.
type Reader struct {
	file    string
	cr      *csv.Reader
	pos     [nba.NumColumns]int // file position of each Kaggle column, -1 if absent
	header  []string
	fields  []string
	present [nba.NumColumns]bool
}

// ReaderOption configures a Reader.
type ReaderOption func(*readerConfig)

type readerConfig struct {
	optional [nba.NumColumns]bool
}

// Optional lets the listed columns be absent from the header; their fields
// read as "". infer uses it for the label column.
func Optional(cols ...int) ReaderOption {
	return func(c *readerConfig) {
		for _, col := range cols {
			c.optional[col] = true
		}
	}
}

// NewReader reads the header of r and maps the Kaggle columns by exact name.
// file names the stream in errors. A header that lacks a column, has one the
// schema does not know, or repeats one is a *HeaderError.
func NewReader(r io.Reader, file string, opts ...ReaderOption) (*Reader, error) {
	var cfg readerConfig
	for _, o := range opts {
		o(&cfg)
	}
	cr := csv.NewReader(bufio.NewReaderSize(r, 1<<20))
	cr.FieldsPerRecord = -1 // a short or long row is a row error (field_count), not the end of the file
	cr.ReuseRecord = true
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, &HeaderError{File: file, Problem: "the file is empty; want the Kaggle header"}
	}
	if err != nil {
		return nil, &HeaderError{File: file, Problem: fmt.Sprintf("not a CSV file: %v", err)}
	}
	header = append([]string(nil), header...)
	if len(header) > 0 {
		header[0] = strings.TrimPrefix(header[0], "\ufeff") // spreadsheet exports add a BOM
	}
	rd := &Reader{file: file, cr: cr, header: header, fields: make([]string, nba.NumColumns)}
	for i := range rd.pos {
		rd.pos[i] = -1
	}
	index := make(map[string]int, nba.NumColumns)
	for i, c := range nba.Columns() {
		index[c] = i
	}
	he := &HeaderError{File: file}
	for i, name := range header {
		col, ok := index[name]
		switch {
		case !ok:
			he.Unknown = append(he.Unknown, name)
		case rd.pos[col] >= 0:
			he.Duplicate = append(he.Duplicate, name)
		default:
			rd.pos[col] = i
			rd.present[col] = true
		}
	}
	for col, name := range nba.Columns() {
		if rd.pos[col] < 0 && !cfg.optional[col] {
			he.Missing = append(he.Missing, name)
		}
	}
	if len(he.Missing)+len(he.Unknown)+len(he.Duplicate) > 0 {
		return nil, he
	}
	return rd, nil
}

// Header returns the header as the file wrote it.
func (r *Reader) Header() []string { return r.header }

// Has reports whether the file has column col.
func (r *Reader) Has(col int) bool { return r.present[col] }

// InKaggleOrder reports whether the file's header is exactly the Kaggle
// header, so that Raw and Fields coincide.
func (r *Reader) InKaggleOrder() bool {
	if len(r.header) != nba.NumColumns {
		return false
	}
	for i, c := range nba.Columns() {
		if r.header[i] != c {
			return false
		}
	}
	return true
}

// Read returns the next record. At the end of the input it returns io.EOF.
// A row with the wrong number of fields, or one that is not valid CSV, comes
// back with a *RowError whose Rule is field_count or csv_syntax; reading can
// go on after it. Any other error is an I/O error.
func (r *Reader) Read() (Record, error) {
	raw, err := r.cr.Read()
	if err != nil {
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			return Record{Line: pe.StartLine}, &RowError{File: r.file, Line: pe.StartLine,
				Issue: Issue{Rule: RuleCSVSyntax, Detail: pe.Err.Error()}}
		}
		return Record{}, err
	}
	line, _ := r.cr.FieldPos(0) // only valid after a successful Read
	rec := Record{Line: line, Raw: raw, Fields: r.fields}
	if len(raw) != len(r.header) {
		return rec, &RowError{File: r.file, Line: line, Issue: Issue{Rule: RuleFieldCount,
			Detail: fmt.Sprintf("row has %d fields, header has %d", len(raw), len(r.header))}}
	}
	for col, p := range r.pos {
		if p >= 0 {
			r.fields[col] = raw[p]
		} else {
			r.fields[col] = ""
		}
	}
	return rec, nil
}

// RowError is a problem with one row: its file, line, and the rule it broke.
type RowError struct {
	File string
	Line int
	Issue
}

func (e *RowError) Error() string {
	if e.Field != "" {
		return fmt.Sprintf("%s:%d: %s: %s: %s", e.File, e.Line, e.Field, e.Rule, e.Detail)
	}
	return fmt.Sprintf("%s:%d: %s: %s", e.File, e.Line, e.Rule, e.Detail)
}

// Writer writes shots in the Kaggle schema, header first, columns in Kaggle
// order. It formats integers itself rather than going through encoding/csv,
// which is several times faster; text fields are quoted exactly when
// encoding/csv would quote them.
type Writer struct {
	w   *bufio.Writer
	buf []byte
}

// NewWriter returns a Writer on w. Call WriteHeader first unless appending
// to a file that has one, and Flush at the end.
func NewWriter(w io.Writer) *Writer {
	return &Writer{w: bufio.NewWriterSize(w, 1<<20), buf: make([]byte, 0, 512)}
}

// WriteHeader writes the Kaggle header.
func (w *Writer) WriteHeader() error { return w.WriteFields(nba.Columns()) }

// WriteFields writes one row of raw fields.
func (w *Writer) WriteFields(fields []string) error {
	b := w.buf[:0]
	for i, f := range fields {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendField(b, f)
	}
	b = append(b, '\n')
	w.buf = b
	_, err := w.w.Write(b)
	return err
}

// Write writes one shot.
func (w *Writer) Write(s *nba.Shot) error {
	w.buf = AppendShot(w.buf[:0], s)
	_, err := w.w.Write(w.buf)
	return err
}

// WriteRaw writes an already formatted row, newline included, such as one
// made by AppendShot.
func (w *Writer) WriteRaw(row []byte) error {
	_, err := w.w.Write(row)
	return err
}

// Flush writes any buffered data to the underlying writer.
func (w *Writer) Flush() error { return w.w.Flush() }

// AppendShot appends s as one CSV line, newline included, to b.
func AppendShot(b []byte, s *nba.Shot) []byte {
	b = strconv.AppendInt(b, int64(s.GameID), 10)
	b = append(b, ',')
	b = strconv.AppendInt(b, int64(s.GameEventID), 10)
	b = append(b, ',')
	b = strconv.AppendInt(b, int64(s.PlayerID), 10)
	b = append(b, ',')
	b = appendField(b, s.PlayerName)
	b = append(b, ',')
	b = strconv.AppendInt(b, int64(s.TeamID), 10)
	b = append(b, ',')
	b = appendField(b, s.TeamName)
	b = append(b, ',')
	b = strconv.AppendInt(b, int64(s.Period), 10)
	b = append(b, ',')
	b = strconv.AppendInt(b, int64(s.MinutesRemaining), 10)
	b = append(b, ',')
	b = strconv.AppendInt(b, int64(s.SecondsRemaining), 10)
	b = append(b, ',')
	b = appendField(b, s.ActionType)
	b = append(b, ',')
	b = appendField(b, s.ShotType)
	b = append(b, ',')
	b = appendField(b, s.ShotZoneBasic)
	b = append(b, ',')
	b = appendField(b, s.ShotZoneArea)
	b = append(b, ',')
	b = appendField(b, s.ShotZoneRange)
	b = append(b, ',')
	b = strconv.AppendInt(b, int64(s.ShotDistance), 10)
	b = append(b, ',')
	b = strconv.AppendInt(b, int64(s.XLocation), 10)
	b = append(b, ',')
	b = strconv.AppendInt(b, int64(s.YLocation), 10)
	b = append(b, ',')
	b = strconv.AppendInt(b, int64(s.ShotMadeFlag), 10)
	b = append(b, ',')
	b = strconv.AppendInt(b, int64(s.GameDate), 10)
	b = append(b, ',')
	b = appendField(b, s.HomeTeam)
	b = append(b, ',')
	b = appendField(b, s.AwayTeam)
	b = append(b, ',')
	b = appendField(b, s.SeasonType)
	return append(b, '\n')
}

// appendField appends f, quoted when encoding/csv would quote it.
func appendField(b []byte, f string) []byte {
	if !needsQuotes(f) {
		return append(b, f...)
	}
	b = append(b, '"')
	for i := 0; i < len(f); i++ {
		if f[i] == '"' {
			b = append(b, '"')
		}
		b = append(b, f[i])
	}
	return append(b, '"')
}

func needsQuotes(f string) bool {
	if f == "" {
		return false
	}
	if f == `\.` || f[0] == ' ' || f[0] == '\t' {
		return true
	}
	return strings.ContainsAny(f, ",\"\r\n")
}

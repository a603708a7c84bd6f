package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/nba-mlops/nba-mlops/internal/atomicfile"
	"github.com/nba-mlops/nba-mlops/internal/features"
	"github.com/nba-mlops/nba-mlops/internal/nba"
	"github.com/nba-mlops/nba-mlops/internal/parallel"
	"github.com/nba-mlops/nba-mlops/internal/parquetio"
	"github.com/nba-mlops/nba-mlops/internal/stage"
)

// Report is what featurize prints on stdout and writes to
// <out-dir>/manifest.json: rows, files and their hashes, which train copies
// into the model's lineage.
type Report struct {
	TrainRows       int64             `json:"train_rows"`
	TestRows        int64             `json:"test_rows"`
	Features        int               `json:"seed_features"`
	VectorFeatures  int               `json:"vector_features"`
	TrainFile       string            `json:"train_file"`
	TestFile        string            `json:"test_file"`
	TransformFile   string            `json:"transform_file"`
	SHA256          map[string]string `json:"sha256"` // file name → hash, inputs and outputs
	Vocabulary      map[string]int    `json:"vocabulary"`
	DurationMS      int64             `json:"duration_ms"`
	ProcessedInputs []string          `json:"processed_inputs"`
}

// Output names inside --out-dir.
const (
	TrainFile     = "train.parquet"
	TestFile      = "test.parquet"
	TransformFile = "transform.json"
	ManifestFile  = "manifest.json"
)

func featurize(ctx context.Context, cfg *config, st *stage.Stage) (*Report, error) {
	start := time.Now()
	trainIn := filepath.Join(cfg.InDir, "train.parquet")
	testIn := filepath.Join(cfg.InDir, "test.parquet")
	rep := &Report{
		Features: nba.NumSeedFeatures, SHA256: map[string]string{}, Vocabulary: map[string]int{},
		TrainFile:       filepath.Join(cfg.OutDir, TrainFile),
		TestFile:        filepath.Join(cfg.OutDir, TestFile),
		TransformFile:   filepath.Join(cfg.OutDir, TransformFile),
		ProcessedInputs: []string{trainIn, testIn},
	}
	for _, p := range rep.ProcessedInputs {
		if _, err := os.Stat(p); err != nil {
			return nil, stage.MissingInput("processed data", err, "process")
		}
	}

	// Pass 1: frequencies on the training split, counted by one fitter
	// per core over its share of each row group, then merged (integer
	// counts: the result does not depend on the number of cores).
	prog := st.Progress("featurize: fit", 0)
	fitters := make([]*features.Fitter, parallel.Workers())
	for k := range fitters {
		fitters[k] = features.NewFitter()
	}
	n, err := parquetio.Each(ctx, trainIn, func(b []nba.Shot) error {
		parallel.For(len(b), len(fitters), func(k, lo, hi int) {
			for i := lo; i < hi; i++ {
				fitters[k].Add(&b[i])
			}
		})
		prog.Add(int64(len(b)))
		return nil
	})
	if err != nil {
		return nil, err
	}
	prog.Done()
	for _, f := range fitters[1:] {
		fitters[0].Merge(f)
	}
	tr, err := fitters[0].Transform()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", trainIn, err)
	}
	st.Logger.InfoContext(ctx, "frequencies fitted", "rows", n, "ms", time.Since(start).Milliseconds())

	// Pass 2: seeds of both splits to the feature files; the scaler is
	// fitted on the training seeds on the way.
	sfs := make([]*features.ScalerFitter, scalerParts)
	for k := range sfs {
		sfs[k] = tr.NewScalerFitter()
	}
	rep.TrainRows, rep.SHA256[TrainFile], err = writeFeatures(ctx, st, trainIn, rep.TrainFile, tr, sfs)
	if err != nil {
		return nil, err
	}
	rep.TestRows, rep.SHA256[TestFile], err = writeFeatures(ctx, st, testIn, rep.TestFile, tr, nil)
	if err != nil {
		return nil, err
	}
	for _, sf := range sfs[1:] {
		sfs[0].Merge(sf)
	}
	if err := tr.SetScaler(sfs[0]); err != nil {
		return nil, err
	}
	b, err := json.MarshalIndent(tr, "", " ")
	if err != nil {
		return nil, err
	}
	b = append(b, '\n')
	if err := atomicfile.WriteFile(rep.TransformFile, b); err != nil {
		return nil, err
	}
	sum := sha256.Sum256(b)
	rep.SHA256[TransformFile] = hex.EncodeToString(sum[:])
	for _, col := range []string{"Action Type", "Team Name", "Home Team", "Away Team", "Game ID", "Game Event ID", "Player ID"} {
		rep.Vocabulary[col] = len(tr.Vocabulary(col))
	}
	rep.VectorFeatures = tr.NumFeatures()
	addProcessedHashes(cfg.InDir, rep)
	rep.DurationMS = time.Since(start).Milliseconds()
	mb, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return nil, err
	}
	if err := atomicfile.WriteFile(filepath.Join(cfg.OutDir, ManifestFile), append(mb, '\n')); err != nil {
		return nil, err
	}
	st.Logger.InfoContext(ctx, "features written", "train_rows", rep.TrainRows, "test_rows", rep.TestRows,
		"vector_features", rep.VectorFeatures, "duration_ms", rep.DurationMS)
	return rep, nil
}

// writeFeatures computes the seed features of every shot of in and writes
// them to out. With sfs, the seeds also feed the scaler, chunk k of each
// row group into sfs[k].
func writeFeatures(ctx context.Context, st *stage.Stage, in, out string, tr *features.Transform, sfs []*features.ScalerFitter) (int64, string, error) {
	w, err := parquetio.Create[features.Row](out)
	if err != nil {
		return 0, "", err
	}
	defer w.Abort()
	prog := st.Progress("featurize: "+filepath.Base(out), 0)
	var rows []features.Row
	_, err = parquetio.Each(ctx, in, func(b []nba.Shot) error {
		if cap(rows) < len(b) {
			rows = make([]features.Row, len(b))
		}
		rows = rows[:len(b)]
		parts := parallel.Workers()
		if sfs != nil {
			parts = len(sfs)
		}
		parallel.For(len(b), parts, func(k, lo, hi int) {
			for i := lo; i < hi; i++ {
				seed := features.Seed(tr, &b[i])
				rows[i].SetSeed(&b[i], &seed)
				if sfs != nil {
					sfs[k].Add(&seed)
				}
			}
		})
		prog.Add(int64(len(b)))
		return w.Write(rows)
	})
	if err != nil {
		return 0, "", err
	}
	prog.Done()
	if err := w.Commit(); err != nil {
		return 0, "", err
	}
	return w.Rows(), w.SHA256(), nil
}

// scalerParts is how many scaler accumulators the training seeds are
// spread over. It is fixed, not the number of cores: the scaler's float
// sums, merged in order, then come out the same on every machine.
const scalerParts = 64

// addProcessedHashes copies the processed files' hashes from process's
// manifest, when there is one, so the lineage reaches back to them.
func addProcessedHashes(dir string, rep *Report) {
	b, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
	if err != nil {
		return
	}
	var m struct {
		TrainSHA256 string `json:"train_sha256"`
		TestSHA256  string `json:"test_sha256"`
	}
	if json.Unmarshal(b, &m) == nil {
		rep.SHA256["processed/train.parquet"] = m.TrainSHA256
		rep.SHA256["processed/test.parquet"] = m.TestSHA256
	}
}

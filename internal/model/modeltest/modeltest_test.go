package modeltest

import (
	"testing"

	"github.com/nba-mlops/nba-mlops/internal/model"
)

func TestPromoteWritesALoadableChampion(t *testing.T) {
	dir := t.TempDir()
	path := Promote(t, dir, 1, 3000)
	m, err := model.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if m.Version() != "v1" {
		t.Errorf("version %q, want v1", m.Version())
	}
	if auc := m.Metrics().ROCAUC; auc < 0.55 {
		t.Errorf("held-out AUC %.3f: the fixture model learned nothing", auc)
	}
	champ, _, err := model.NewRegistry(dir).Champion()
	if err != nil || champ != path {
		t.Errorf("Champion() = %q, %v; want %q", champ, err, path)
	}
}

func TestTrainCalibrated(t *testing.T) {
	m := TrainCalibrated(t, 2, 4000)
	if m.Calibration().Method != model.CalibrationPlatt {
		t.Errorf("calibration %v, want platt", m.Calibration())
	}
	if m.Lineage().CV == nil || len(m.Lineage().CV.Steps) != 3 {
		t.Errorf("lineage CV %+v, want the model, effects and calibration steps", m.Lineage().CV)
	}
}

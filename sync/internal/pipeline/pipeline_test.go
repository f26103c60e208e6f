package pipeline

import (
	"errors"
	"sync/atomic"
	"testing"
)

func TestPipelineKeepsOrderAndStopsAtTheFirstError(t *testing.T) {
	jobs := []int{1, 2, 3, 4, 5, 6}
	run := func(failAt string, at int) ([]int, error, int32) {
		var running atomic.Int32
		step := func(name string) func(int) (int, error) {
			return func(v int) (int, error) {
				running.Add(1)
				defer running.Add(-1)
				if name == failAt && v == at {
					return 0, errors.New(name + " failed")
				}
				return v, nil
			}
		}
		var got []int
		stop := make(chan struct{})
		out := Then(stop, Then(stop, Stage(stop, jobs, step("fetch")), step("prepare")), step("put"))
		err := Finish(stop, out, func(v int) error {
			if failAt == "link" && v == at {
				return errors.New("link failed")
			}
			got = append(got, v)
			return nil
		})
		return got, err, running.Load()
	}
	if got, err, _ := run("", 0); err != nil || len(got) != len(jobs) || got[5] != 6 {
		t.Fatalf("no failure: %v, %v", got, err)
	}
	for _, at := range []string{"fetch", "prepare", "put", "link"} {
		got, err, running := run(at, 3)
		if err == nil || err.Error() != at+" failed" {
			t.Fatalf("%s fails: error %v", at, err)
		}
		if len(got) != 2 || got[0] != 1 || got[1] != 2 {
			t.Fatalf("%s fails at 3: linked %v, want [1 2]", at, got)
		}
		if running != 0 {
			t.Fatalf("%s fails: %d stages still running after finish", at, running)
		}
	}
}

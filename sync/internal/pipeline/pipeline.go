// Package pipeline runs the stages of a download on goroutines of their own.
//
// Pipelines keep the connection, the processor and the disks busy at the same time: each
// stage runs on a goroutine of its own, one result at most waits between two stages, and the first
// error stops them all. Finish returns only once every stage's goroutine has ended, so the
// connection is the caller's again.
package pipeline

// Result is what one stage hands the next.
type Result[T any] struct {
	v   T
	err error
}

// Stage runs fn over jobs, sending each result until the first error or until stop closes. The
// channel closes when the goroutine ends.
func Stage[J, R any](stop <-chan struct{}, jobs []J, fn func(J) (R, error)) <-chan Result[R] {
	out := make(chan Result[R])
	go func() {
		defer close(out)
		for _, j := range jobs {
			r, err := fn(j)
			select {
			case out <- Result[R]{r, err}:
			case <-stop:
				return
			}
			if err != nil {
				return
			}
		}
	}()
	return out
}

// Then runs fn over the results of the stage before. Its channel closes only after in has closed,
// so waiting for the last channel of a chain waits for every goroutine of it.
func Then[R, P any](stop <-chan struct{}, in <-chan Result[R], fn func(R) (P, error)) <-chan Result[P] {
	out := make(chan Result[P])
	go func() {
		defer close(out)
		defer func() {
			for range in { // after an error or a stop: wait for the stages before to end
			}
		}()
		for res := range in {
			next := Result[P]{err: res.err}
			if next.err == nil {
				next.v, next.err = fn(res.v)
			}
			select {
			case out <- next:
			case <-stop:
				return
			}
			if next.err != nil {
				return
			}
		}
	}()
	return out
}

// Finish runs fn over the results of the last stage on this goroutine, then stops the chain and
// waits for all of it to end. It returns the first error of any stage.
func Finish[T any](stop chan struct{}, in <-chan Result[T], fn func(T) error) error {
	defer func() {
		close(stop)
		for range in {
		}
	}()
	for res := range in {
		if res.err != nil {
			return res.err
		}
		if err := fn(res.v); err != nil {
			return err
		}
	}
	return nil
}

package imapsync

// The fetch pipelines keep the connection, the processor and the disks busy at the same time: each
// stage runs on a goroutine of its own, one result at most waits between two stages, and the first
// error stops them all. finish returns only once every stage's goroutine has ended, so the
// connection is the caller's again.

type result[T any] struct {
	v   T
	err error
}

// stage runs fn over jobs, sending each result until the first error or until stop closes. The
// channel closes when the goroutine ends.
func stage[J, R any](stop <-chan struct{}, jobs []J, fn func(J) (R, error)) <-chan result[R] {
	out := make(chan result[R])
	go func() {
		defer close(out)
		for _, j := range jobs {
			r, err := fn(j)
			select {
			case out <- result[R]{r, err}:
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

// then runs fn over the results of the stage before. Its channel closes only after in has closed,
// so waiting for the last channel of a chain waits for every goroutine of it.
func then[R, P any](stop <-chan struct{}, in <-chan result[R], fn func(R) (P, error)) <-chan result[P] {
	out := make(chan result[P])
	go func() {
		defer close(out)
		defer func() {
			for range in { // after an error or a stop: wait for the stages before to end
			}
		}()
		for res := range in {
			next := result[P]{err: res.err}
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

// finish runs fn over the results of the last stage on this goroutine, then stops the chain and
// waits for all of it to end. It returns the first error of any stage.
func finish[T any](stop chan struct{}, in <-chan result[T], fn func(T) error) error {
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

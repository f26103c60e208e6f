package localcache

import (
	"context"
	"testing"
)

// TestAutosaveSurvivesReopen: a composer's content written, replaced and listed again after the
// cache is closed and opened; removed, it is gone.
func TestAutosaveSurvivesReopen(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	c, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	id, err := c.PutAutosave(ctx, 0, []byte("first"))
	if err != nil {
		t.Fatal(err)
	}
	other, err := c.PutAutosave(ctx, 0, []byte("other"))
	if err != nil || other == id {
		t.Fatalf("second row %d (%v)", other, err)
	}
	if _, err := c.PutAutosave(ctx, id, []byte("second")); err != nil {
		t.Fatal(err)
	}
	c.Close()
	if c, err = Open(dir); err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	list, err := c.Autosaves(ctx)
	if err != nil || len(list) != 2 || list[0].ID != id || string(list[0].Data) != "second" || string(list[1].Data) != "other" {
		t.Fatalf("autosaves %+v (%v)", list, err)
	}
	if err := c.RemoveAutosave(ctx, id); err != nil {
		t.Fatal(err)
	}
	if list, _ := c.Autosaves(ctx); len(list) != 1 || list[0].ID != other {
		t.Fatalf("after remove: %+v", list)
	}
}

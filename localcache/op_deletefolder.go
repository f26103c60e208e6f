package localcache

// OpDeleteFolder deletes a folder on the server.
const OpDeleteFolder OpKind = "delete-folder"

func init() { registerOp[DeleteFolderOp](OpDeleteFolder) }

// DeleteFolderOp deletes the folder Name (already deleted locally).
type DeleteFolderOp struct {
	Name string `json:",omitempty"`
}

func (DeleteFolderOp) Kind() OpKind { return OpDeleteFolder }

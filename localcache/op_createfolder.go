package localcache

// OpCreateFolder creates a folder on the server.
const OpCreateFolder OpKind = "create-folder"

func init() { registerOp[CreateFolderOp](OpCreateFolder) }

// CreateFolderOp creates the folder Name (already made locally).
type CreateFolderOp struct {
	Name string `json:",omitempty"`
}

func (CreateFolderOp) Kind() OpKind { return OpCreateFolder }

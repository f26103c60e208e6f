package localcache

// OpRenameFolder renames a folder on the server.
const OpRenameFolder OpKind = "rename-folder"

func init() { registerOp[RenameFolderOp](OpRenameFolder) }

// RenameFolderOp renames the folder Name to NewName (already renamed locally).
type RenameFolderOp struct {
	Name    string `json:",omitempty"`
	NewName string `json:",omitempty"`
}

func (RenameFolderOp) Kind() OpKind { return OpRenameFolder }

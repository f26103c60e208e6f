package localcache

// OpAppend stores a message on the server (drafts, sent mail).
const OpAppend OpKind = "append"

func init() { registerOp[AppendOp](OpAppend) }

// AppendOp stores the body BodyKey with Flags into the op's folder; Items is the local copy
// (one message) that gets the server's UID.
type AppendOp struct {
	BodyKey string   `json:",omitempty"`
	Flags   Flags    `json:"Set,omitempty"` // "Set" in records of version 1
	Items   []OpItem `json:",omitempty"`
}

// Messages lists the messages the op touches.
func (o AppendOp) Messages() []OpItem { return o.Items }

func (AppendOp) Kind() OpKind { return OpAppend }

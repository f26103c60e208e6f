package imapsync

import (
	"context"
	"io"
	"net"
	"time"
)

// options are the engine's tunables. Production uses defaultOptions; tests shorten the timers.
type options struct {
	ioTimeout   time.Duration // per read/write on the transport connection
	dialTimeout time.Duration
	cmdTimeout  time.Duration // base watchdog for one command
	minRate     int64         // bytes/s a transfer may not drop below (watchdog allowance)
	dialContext func(ctx context.Context, network, addr string) (net.Conn, error)

	pollInterval   time.Duration // STATUS poll of the other folders
	fullInterval   time.Duration // pass over every folder, skipping those whose STATUS is unchanged
	verifyEvery    int           // every verifyEvery-th full pass SELECTs every folder (passVerify)
	idleRestart    time.Duration // IDLE is re-issued this often (servers drop it at 30 min)
	idleIOTimeout  time.Duration // read timeout while idling
	fetchIdleClose time.Duration // the on-demand body connection closes after this long unused
	noIdle         bool          // act as if the server had no IDLE
	idleFolders    int           // folders besides INBOX watched by IDLE, each on a connection
	dropCaps       []string      // capabilities to ignore (tests of the fallbacks)
	trace          io.Writer     // tests: receives the protocol exchange of every connection

	maxLine       int   // longest line outside literals
	maxLiteral    int64 // largest literal a server may announce
	headerCap     int64 // header bytes kept per message
	wholeBodyMax  int64 // bodies up to this RFC822.SIZE are fetched in one piece
	wholeLiteral  int64 // ... and may arrive that large (RFC822.SIZE is an estimate on some servers)
	chunkSize     int64 // larger bodies come in partial fetches of this size
	maxBody       int64 // bodies larger than this are not downloaded
	batchBytes    int64 // body bytes per batch (group commit)
	batchMessages int   // bodies per batch
	headerBatches []int // growing batch sizes for header fetches
}

func defaultOptions() *options {
	return &options{
		ioTimeout:      60 * time.Second,
		dialTimeout:    15 * time.Second,
		cmdTimeout:     2 * time.Minute,
		minRate:        16 << 10,
		pollInterval:   60 * time.Second,
		fullInterval:   15 * time.Minute,
		verifyEvery:    4,
		idleRestart:    10 * time.Minute,
		idleIOTimeout:  11 * time.Minute,
		fetchIdleClose: 2 * time.Minute,
		// Thunderbird keeps up to five connections; with the main one, INBOX's and the one for
		// bodies on demand, four more stay well under Dovecot's default of ten per user and IP.
		idleFolders:   4,
		maxLine:       8 << 20,
		maxLiteral:    20 << 20,
		headerCap:     1 << 20,
		wholeBodyMax:  4 << 20,
		wholeLiteral:  16 << 20,
		chunkSize:     4 << 20,
		maxBody:       128 << 20,
		batchBytes:    4 << 20,
		batchMessages: 200,
		headerBatches: []int{50, 200, 1000},
	}
}

package capture

import "io"

// Position says how far reading a capture file has come: the bytes
// consumed and the file's size, for a progress display. Both are -1 when
// unknown (standard input, a pipe). It is behind by at most what is read
// ahead (a chunk, a read buffer, a decoder's input) and costs a system
// call. Of a compressed file, it is the compressed bytes.
func (s *fileSource) Position() (read, size int64) {
	off, err := s.f.Seek(0, io.SeekCurrent)
	if err != nil {
		return -1, -1
	}
	fi, err := s.f.Stat()
	if err != nil || !fi.Mode().IsRegular() {
		return -1, -1
	}
	return off - int64(s.raw.Buffered()), fi.Size()
}

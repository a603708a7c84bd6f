// Package dirlock is an exclusive, cross-process lock on a directory: an
// flock(2) on a lock file inside it. Writers that must not interleave (two
// trainings picking a model version and promoting) take it; readers never
// need it, because what they read is replaced by rename.
//
// The kernel releases an flock when its holder's file is closed, which
// includes the holder dying, so a crashed writer never leaves a stale lock.
// The lock file itself is never removed: removing it would let a newcomer
// lock a fresh file while a waiter still holds the old one. On NFS the Linux
// client maps flock to a POSIX byte-range lock, which the server arbitrates
// across clients; the lock therefore also holds between pods on a shared
// ReadWriteMany volume.
package dirlock

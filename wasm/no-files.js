// The WebAssembly build has no file system (-sFILESYSTEM=0), and emscripten's
// placeholders for file calls report success (then fail inside JavaScript).
// These fail as a system without files would: opening, renaming, removing
// and reading report an error code, so Lua's io.open, loadfile, os.remove...
// return nil and a message. Writing to stdout and stderr still works (print).
mergeInto(LibraryManager.library, {
  __syscall_open: function () { return -52; }, // ENOSYS
  __syscall_rename: function () { return -52; },
  __syscall_unlink: function () { return -52; },
  __syscall_rmdir: function () { return -52; },
  __syscall_lstat64: function () { return -52; },
  __syscall_dup3: function () { return -8; }, // EBADF
  fd_read: function (fd, iov, iovcnt, pnum) {
    HEAP32[pnum >> 2] = 0;
    return 8; // EBADF: no standard input either
  },
  fd_seek: function () { return 70; }, // ESPIPE
});

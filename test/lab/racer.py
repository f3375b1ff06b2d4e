# A local attacker for the lab's security suite: an unprivileged user watching a directory with
# inotify and acting the moment scaleup creates its staged file there.
#   swap DIR PREFIX TARGET  rename a symbolic link to TARGET over every new name starting with PREFIX
#   read DIR PREFIX         open and read every new name starting with PREFIX until it is gone
# Writes one line per attempt to OUT, creates READY once it watches, and stops when STOP exists or
# after LIMIT seconds (bounded: it never outlives the test).
import ctypes, os, select, struct, sys, time

mode, out, ready, stop, limit, directory, prefix = sys.argv[1:8]
target = sys.argv[8] if mode == 'swap' else None
libc = ctypes.CDLL(None, use_errno=True)
# Creations only: the racer's own renames (moves) must not set it off again.
IN_CREATE = 0x100
fd = libc.inotify_init1(0)
if fd < 0 or libc.inotify_add_watch(fd, directory.encode(), IN_CREATE) < 0:
    sys.exit('inotify: %s' % os.strerror(ctypes.get_errno()))
log = open(out, 'a', buffering=1)
open(ready, 'w').close()
deadline = time.time() + float(limit)
n = 0

def swap(path):
    global n
    n += 1
    link = os.path.join(directory, '.racer-%d' % n)
    try:
        os.symlink(target, link)
        os.rename(link, path)
        log.write('swapped %s\n' % os.path.basename(path))
    except OSError as e:
        log.write('swap failed %s\n' % e.strerror)

def read(path):
    opened, size, until = False, 0, time.time() + 5
    while time.time() < until:
        try:
            with open(path, 'rb') as f:
                opened = True
                size = max(size, len(f.read()))
        except PermissionError:
            if opened:
                break
            log.write('denied\n')
            return
        except FileNotFoundError:
            break
    log.write('read %d bytes\n' % size if opened else 'gone\n')

while time.time() < deadline and not os.path.exists(stop):
    if not select.select([fd], [], [], 0.2)[0]:
        continue
    buf, i = os.read(fd, 65536), 0
    while i < len(buf):
        _wd, _mask, _cookie, length = struct.unpack_from('iIII', buf, i)
        name = buf[i + 16:i + 16 + length].rstrip(b'\0').decode()
        i += 16 + length
        if name.startswith(prefix):
            (swap if mode == 'swap' else read)(os.path.join(directory, name))

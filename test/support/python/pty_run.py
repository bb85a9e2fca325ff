"""Runs a command on a pseudo-terminal, as a user's shell would, and answers one prompt.

usage: pty_run.py COLUMNS PROMPT ANSWER -- COMMAND...

The command's stdin, stdout and stderr are the terminal (so `isTTY` is true
for all three), COLUMNS wide. When its output contains PROMPT (if PROMPT is
not empty), ANSWER and a newline are typed. Everything the terminal showed is
copied to this script's stdout; the exit code is the command's.
"""

import fcntl
import os
import pty
import struct
import sys
import termios

columns, prompt, answer = int(sys.argv[1]), sys.argv[2].encode(), sys.argv[3].encode()
command = sys.argv[sys.argv.index("--") + 1 :]

pid, fd = pty.fork()
if pid == 0:
    fcntl.ioctl(sys.stdout.fileno(), termios.TIOCSWINSZ, struct.pack("HHHH", 24, columns, 0, 0))
    os.execvp(command[0], command)

seen = b""
answered = not prompt
while True:
    try:
        chunk = os.read(fd, 4096)
    except OSError:  # EIO: the command closed the terminal
        break
    if not chunk:
        break
    seen += chunk
    sys.stdout.buffer.write(chunk)
    sys.stdout.buffer.flush()
    if not answered and prompt in seen:
        answered = True
        os.write(fd, answer + b"\n")

_, status = os.waitpid(pid, 0)
sys.exit(os.waitstatus_to_exitcode(status))

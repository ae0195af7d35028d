#!/bin/busybox sh
# numabench guest /init: PID 1 of the QEMU guest that `numabench guest` boots
# (harness/guest.c builds the initramfs around this script).
#
# It mounts the kernel filesystems, runs numabench with the arguments from /nb/args
# (one argument per line; the host refuses arguments with a newline), and sends what
# the run produced to the host over the second serial port, /dev/ttyS1, framed as:
#
#   NB1 BOOT                          first thing, proves the guest reached /init
#   NB1 FILE <bytes> <sha256> <name>  then the file in base64, then
#   NB1 END
#   NB1 EXIT <numabench exit code>
#   NB1 DONE
#
# The console (ttyS0) only carries the log. Arguments never travel on the kernel
# command line, and nothing here evaluates them: they are read into "$@" verbatim.

/bin/busybox mkdir -p /bin /sbin /usr/bin /usr/sbin /proc /sys /dev /tmp /var/lib/numabench
/bin/busybox --install -s
export PATH=/bin:/sbin:/usr/bin:/usr/sbin HOME=/root TMPDIR=/tmp
mkdir -p /root

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t debugfs debugfs /sys/kernel/debug
mount -t tracefs tracefs /sys/kernel/tracing
# /tmp stays on the rootfs (RAM already): results written there are found below (-xdev).

CHAN=/dev/ttyS1
# arm64 (-M virt has one UART, unpaced: the channel): the host names it (numabench.chan=).
for a in $(cat /proc/cmdline); do
	case $a in numabench.chan=tty*) CHAN=/dev/${a#numabench.chan=} ;; esac
done
# raw: no newline translation on the channel (the host tolerates CRs anyway).
stty -F "$CHAN" 115200 raw -echo 2>/dev/null

say() {
	echo "NB1 $*" >"$CHAN"
}

# send NAME FILE: one framed file. Closing the tty after each frame waits for the
# UART to drain, so nothing is lost at poweroff.
send() {
	[ -f "$2" ] || return 0
	size=$(wc -c <"$2")
	sum=$(sha256sum "$2")
	{
		echo "NB1 FILE $size ${sum%% *} $1"
		base64 "$2"
		echo "NB1 END"
	} >"$CHAN"
}

finish() {
	say "EXIT $1"
	say DONE
	poweroff -f
	# poweroff -f should not return; if it does, let panic=-1 and -no-reboot end QEMU.
	sleep 5
	echo o >/proc/sysrq-trigger
}

say BOOT
echo "numabench-guest: /init reached on $(uname -r)" >/dev/console

if [ "$(cat /nb/mode 2>/dev/null)" = probe ]; then
	finish 0
fi

hostname numabench-guest
if [ -f /etc/numabench/libpath ]; then
	LD_LIBRARY_PATH=$(cat /etc/numabench/libpath)
	export LD_LIBRARY_PATH
fi

set --
while IFS= read -r arg; do
	set -- "$@" "$arg"
done </nb/args
# No arguments: the quick suite, named (a bare numabench only prints its usage).
[ $# -eq 0 ] && [ ! -f /nb/script ] && set -- run quick

# JSON files that exist before the run are not results of it.
find / -xdev -type f -name '*.json' 2>/dev/null | sort >/nb/before

cd /opt/numabench || finish 127
echo "numabench-guest: running numabench $*" >/dev/console
# stdout to a file (it may be the JSON itself, e.g. topo --json), stderr both to
# the console log and to a file the host relays.
# A test scenario from `numabench guest --script` runs instead of numabench itself.
RUN=./numabench
[ -f /nb/script ] && RUN="sh /nb/script"
{
	$RUN "$@" >/nb/stdout
	echo $? >/nb/rc
} 2>&1 | tee /nb/stderr >/dev/console
rc=$(cat /nb/rc 2>/dev/null)
[ -n "$rc" ] || rc=127
cat /nb/stdout >/dev/console
echo "numabench-guest: numabench exited with $rc" >/dev/console

send stdout /nb/stdout
send stderr /nb/stderr
find / -xdev -type f -name '*.json' 2>/dev/null | sort >/nb/after
grep -vxF -f /nb/before /nb/after >/nb/new
while IFS= read -r f; do
	send "file:$f" "$f"
done </nb/new

finish "$rc"

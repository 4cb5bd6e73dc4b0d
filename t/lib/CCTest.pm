package CCTest;

# Test harness for callcenter, in the manner of nginx-tests' Test::Nginx:
# each test file gets a temp dir, its own redis-server, routers and nginx
# on free loopback ports, and at the end an error.log check.  Core Perl only.
#
#     use strict; use warnings; use Test::More;
#     use lib 't/lib'; use CCTest;
#     my $t = CCTest->new;
#     $t->start_redis; $t->load_functions;
#     $t->write_agents([{id => 'alice', queues => ['sales'], capacity => 1}]);
#     my $r = $t->start_router('--offer-timeout', 1);
#     $t->default_server;
#     my $call = $t->create_call(queue => 'sales');
#     my $s = $t->sse("/call/$call->{call}/events?token=$call->{token}");
#     my $ev = $s->next_event(timeout => 5);
#     ...
#     done_testing;
#
# Environment: CC_TEST_KEEP=1 keeps the temp dir, CC_TEST_VERBOSE=1 prints
# the logs at the end.  CC_NGINX overrides /usr/sbin/nginx, CC_REDIS_SERVER
# overrides redis-server.  CC_ROUTER_WRAPPER (words split on spaces, e.g.
# "valgrind --log-file=/tmp/r.%p") is put before the router's command;
# CC_TEST_TIMEOUT_SCALE (default 1) multiplies the waits of the harness and
# of the tests, for slow runs under valgrind (bench/memcheck.sh).
# CC_BUILD_DIR (default build) is where module and router are taken from;
# CC_SANITIZE=1 says they were built with ASan and UBSan (./test.sh
# --sanitize): nginx runs with gcc's libasan preloaded, and a sanitizer
# report in error.log, nginx's stderr or a router's log fails the file.

use strict;
use warnings;

use Carp qw(croak);
use Cwd qw(abs_path);
use File::Basename qw(dirname);
use File::Spec;
use File::Temp qw(tempdir);
use HTTP::Tiny;
use IO::Socket::INET;
use IO::Select;
use JSON::PP;
use POSIX qw(:sys_wait_h);
use Socket qw(IPPROTO_TCP TCP_NODELAY);
use Time::HiRes qw(time sleep);
use Test::More ();

our $VERSION = '1.0';

my $ROOT = abs_path(File::Spec->catdir(dirname(abs_path(__FILE__)),
    '..', '..'));
my $JSON = JSON::PP->new->utf8->canonical->allow_nonref;
my @INSTANCES;
my $CREATOR = $$;

$SIG{PIPE} = 'IGNORE';
for my $sig (qw(INT TERM HUP)) {
    $SIG{$sig} = sub { die "caught SIG$sig\n" } unless $SIG{$sig};
}

# The file's last check (error.log) runs before done_testing() counts.
{
    no warnings 'redefine';
    my $orig = \&Test::Builder::done_testing;
    *Test::Builder::done_testing = sub {
        CCTest->_finish_all if $$ == $CREATOR;
        goto &$orig;
    };
}

END {
    if ($$ == $CREATOR) {
        local $?;
        CCTest->_finish_all;
    }
}

sub _finish_all {
    $_->finish for grep { defined } @INSTANCES;
}

sub json { $JSON }
sub root { $ROOT }

sub nginx_binary { $ENV{CC_NGINX} // '/usr/sbin/nginx' }

sub redis_server_binary {
    return $ENV{CC_REDIS_SERVER} if $ENV{CC_REDIS_SERVER};
    for my $d (split /:/, ($ENV{PATH} // '') . ':/usr/bin:/usr/local/bin') {
        return "$d/redis-server" if -x "$d/redis-server";
    }
    return undef;
}

sub build_dir {
    my $d = $ENV{CC_BUILD_DIR} // 'build';
    return File::Spec->file_name_is_absolute($d) ? $d : "$ROOT/$d";
}
sub module_path { build_dir() . '/ngx_http_callcenter_module.so' }
sub router_path { build_dir() . '/callcenter-router' }

# What the ASan runtime reports, and UBSan's "runtime error:".
my $SANITIZER_REPORT = qr/AddressSanitizer|LeakSanitizer|runtime error:/;

# The environment nginx runs with: a sanitized module needs libasan loaded
# first into the stock nginx (its own leaks are nginx's, not looked for).
sub _nginx_env {
    return () unless $ENV{CC_SANITIZE};
    my $asan = `gcc -print-file-name=libasan.so`;
    chomp $asan;
    return (LD_PRELOAD => $asan,
        ASAN_OPTIONS => 'detect_leaks=0:abort_on_error=0'
            . ($ENV{ASAN_OPTIONS} ? ":$ENV{ASAN_OPTIONS}" : ''),
        UBSAN_OPTIONS => 'print_stacktrace=1');
}

# CCTest->new(%opt): opt skip_missing => 0 returns the object even if
# something is missing (t/build.t checks the artifacts itself).
# opt: skip_missing => 0 (run even without build/ artifacts), checks => 0
# (no end-of-file log checks: for benchmarks, which print figures only)
sub new {
    my ($class, %opt) = @_;
    my @missing;
    push @missing, 'build/ngx_http_callcenter_module.so'
        unless -f module_path();
    push @missing, 'build/callcenter-router' unless -x router_path();
    push @missing, 'redis-server' unless redis_server_binary();
    push @missing, nginx_binary() unless -x nginx_binary();
    if (@missing && ($opt{skip_missing} // 1)) {
        Test::More::plan(skip_all => 'missing: ' . join(', ', @missing));
    }

    my $dir = tempdir('cctest-XXXXXXXX', TMPDIR => 1,
        CLEANUP => $ENV{CC_TEST_KEEP} ? 0 : 1);
    chmod 0755, $dir;   # nginx workers run as nobody
    my $self = bless {
        dir => $dir, routers => [], router_seq => 0, finished => 0,
        missing => \@missing, checks => $opt{checks} // 1,
    }, $class;
    push @INSTANCES, $self;
    Test::More::diag("CCTest dir: $dir") if $ENV{CC_TEST_KEEP};
    return $self;
}

sub testdir { $_[0]{dir} }
sub missing { @{ $_[0]{missing} } }

sub free_port {
    my $s = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0,
        Proto => 'tcp', Listen => 1, ReuseAddr => 1)
        or croak "free_port: $!";
    my $port = $s->sockport;
    close $s;
    return $port;
}

sub _spawn {
    my ($self, $log, @cmd) = @_;
    my $pid = fork;
    croak "fork: $!" unless defined $pid;
    if ($pid == 0) {
        open STDIN, '<', '/dev/null';
        open STDOUT, '>>', $log or POSIX::_exit(126);
        open STDERR, '>&', \*STDOUT or POSIX::_exit(126);
        { no warnings "exec"; exec { $cmd[0] } @cmd; }
        print STDERR "exec $cmd[0]: $!\n";
        POSIX::_exit(127);
    }
    return $pid;
}

sub _alive {
    my ($pid) = @_;
    return 0 unless $pid;
    my $r = waitpid($pid, WNOHANG);
    return 1 if $r == 0;
    return 0;
}

# Waits for a child to exit; returns the shell-style status or undef.
sub _wait_exit {
    my ($pid, $timeout) = @_;
    my $deadline = time + CCTest->scale($timeout);
    while (1) {
        my $r = waitpid($pid, WNOHANG);
        if ($r == $pid) {
            return WIFEXITED($?) ? WEXITSTATUS($?)
                : 128 + WTERMSIG($?);
        }
        return -1 if $r == -1;      # not our child or already reaped
        return undef if time > $deadline;
        sleep 0.02;
    }
}

sub _stop_pid {
    my ($pid, @steps) = @_;   # (signal, timeout)...
    while (my ($sig, $timeout) = splice @steps, 0, 2) {
        kill $sig, $pid;
        my $st = _wait_exit($pid, $timeout);
        return $st if defined $st;
    }
    kill 'KILL', $pid;
    return _wait_exit($pid, 5);
}

sub _port_accepts {
    my ($port) = @_;
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port,
        Proto => 'tcp', Timeout => 1);
    return 0 unless $s;
    close $s;
    return 1;
}

sub _read_file {
    my ($path) = @_;
    open my $fh, '<', $path or return '';
    local $/;
    my $text = <$fh>;
    close $fh;
    return $text // '';
}

sub _write_file {
    my ($path, $text) = @_;
    open my $fh, '>', $path or croak "$path: $!";
    print $fh $text;
    close $fh or croak "$path: $!";
    return $path;
}

# ---------------------------------------------------------------- redis

sub redis_port {
    my ($self) = @_;
    $self->{redis_port} //= free_port();
    return $self->{redis_port};
}

# @extra: more redis-server options; with --requirepass the harness's own
# client authenticates too
sub start_redis {
    my ($self, @extra) = @_;
    croak 'redis already running' if $self->{redis_pid};
    for my $i (0 .. $#extra - 1) {
        $self->{redis_password} = $extra[$i + 1]
            if $extra[$i] eq '--requirepass';
    }
    $self->{redis_extra} = [@extra];
    my $port = $self->redis_port;
    my $bin = redis_server_binary() or croak 'redis-server not found';
    $self->{redis_pid} = $self->_spawn("$self->{dir}/redis.out", $bin,
        '--port', $port, '--bind', '127.0.0.1', '--save', '',
        '--appendonly', 'no', '--dir', $self->{dir},
        '--logfile', "$self->{dir}/redis.log", '--daemonize', 'no',
        @extra);
    my $deadline = time + CCTest->scale(10);
    while (1) {
        croak "redis-server exited:\n" . _read_file("$self->{dir}/redis.log")
            . _read_file("$self->{dir}/redis.out")
            unless _alive($self->{redis_pid});
        if (_port_accepts($port)) {
            my $pong = eval { $self->redis_cmd('PING') };
            last if defined $pong && !ref $pong && $pong eq 'PONG';
        }
        croak 'redis-server does not answer' if time > $deadline;
        sleep 0.05;
    }
    return $port;
}

sub stop_redis {
    my ($self) = @_;
    my $pid = delete $self->{redis_pid} or return;
    eval { $self->redis_cmd('SHUTDOWN', 'NOSAVE') };
    $self->_redis_disconnect;
    my $st = _wait_exit($pid, 5);
    $st = _stop_pid($pid, TERM => 5) unless defined $st;
    return $st;
}

# A crash: redis-server killed with -9 (it keeps only what its appendfsync
# policy wrote); restart_redis brings it back on the same port and dir with
# the options it had, from its AOF when started with --appendonly yes.
sub kill_redis {
    my ($self) = @_;
    my $pid = delete $self->{redis_pid} or return;
    kill 'KILL', $pid;
    $self->_redis_disconnect;
    return _wait_exit($pid, 5);
}

sub restart_redis {
    my ($self) = @_;
    return $self->start_redis(@{ $self->{redis_extra} // [] });
}

sub redis_running {
    my $r = $_[0]{redis_of} // $_[0];
    return $r->{redis_pid} && _alive($r->{redis_pid});
}

# ---------------------------------------------------------------- sentinel

# Another redis-server on a free port (a replica: '--replicaof',
# '127.0.0.1', PORT), or again on the port of one killed (that hash
# first): its hash {pid, port}; stopped by finish.
sub start_redis_server {
    my ($self, @extra) = @_;
    my $old = ref $extra[0] ? shift @extra : undef;
    my $r = $old // { port => free_port(), n => ++$self->{redis_seq} };
    my $bin = redis_server_binary() or croak 'redis-server not found';
    $r->{pid} = $self->_spawn("$self->{dir}/redis-$r->{n}.out", $bin,
        '--port', $r->{port}, '--bind', '127.0.0.1', '--save', '',
        '--appendonly', 'no', '--dir', $self->{dir},
        '--dbfilename', "dump-$r->{n}.rdb", '--repl-diskless-sync-delay', 0,
        '--logfile', "$self->{dir}/redis-$r->{n}.log", @extra);
    # stopped by finish, whichever hash names it (one made for a port
    # killed before is new here too)
    push @{ $self->{servers} }, $r
        unless grep { $_ == $r } @{ $self->{servers} // [] };
    $self->wait_for(sub { _port_accepts($r->{port}) }, timeout => 10)
        or croak "redis-server on $r->{port} does not answer";
    return $r;
}

# One command to another Redis (a replica, a sentinel) on port.
sub redis_at {
    my ($self, $port, @args) = @_;
    my $o = bless { redis_port => $port, redis_buf => '' }, ref $self;
    my $r = eval { $o->redis_cmd(@args) };
    $o->_redis_disconnect;
    return $r;
}

# A Redis Sentinel (Debian's redis-sentinel, else redis-server
# --sentinel) on a free port watching NAME at 127.0.0.1:master_port,
# quorum 2, down after 1 s: its port; stopped by finish.
sub start_sentinel {
    my ($self, $master_port, %opt) = @_;
    my $name = $opt{name} // 'ccmaster';
    my $port = free_port();
    my $n = ++$self->{sentinel_seq};
    my $conf = _write_file("$self->{dir}/sentinel-$n.conf", join '', map
        { "$_\n" } "port $port", 'bind 127.0.0.1', "dir $self->{dir}",
        "logfile $self->{dir}/sentinel-$n.log",
        "sentinel monitor $name 127.0.0.1 $master_port 2",
        "sentinel down-after-milliseconds $name 1000",
        "sentinel failover-timeout $name 3000",
        "sentinel parallel-syncs $name 1");
    my @cmd = -x '/usr/bin/redis-sentinel' ? ('/usr/bin/redis-sentinel', $conf)
        : (redis_server_binary(), $conf, '--sentinel');
    my $pid = $self->_spawn("$self->{dir}/sentinel-$n.out", @cmd);
    push @{ $self->{servers} }, { pid => $pid, port => $port };
    $self->wait_for(sub { _port_accepts($port) }, timeout => 10)
        or croak "sentinel on $port does not answer";
    return $port;
}

# Where the sentinel on port says NAME's master is: its port, or undef.
sub sentinel_master {
    my ($self, $port, $name) = @_;
    my $r = $self->redis_at($port, 'SENTINEL', 'get-master-addr-by-name',
        $name // 'ccmaster');
    return ref $r eq 'ARRAY' ? $r->[1] : undef;
}

# Another nginx node on this object's Redis: a CCTest of its own (its dir,
# port, config, error.log check; start_nginx, default_server, http, sse,
# agent_http, reload_nginx, stop_nginx as on any) that starts no Redis nor
# router, and is finished (its nginx stopped) before this one stops Redis.
sub node {
    my ($self) = @_;
    my $n = CCTest->new;
    $n->{redis_of} = $self;
    $n->{redis_port} = $self->redis_port;
    $n->{redis_password} = $self->{redis_password};
    push @{ $self->{nodes} }, $n;
    return $n;
}

sub _redis_disconnect {
    my ($self) = @_;
    close $self->{redis_sock} if $self->{redis_sock};
    delete $self->{redis_sock};
    $self->{redis_buf} = '';
}

sub _redis_sock {
    my ($self) = @_;
    my $s = $self->{redis_sock};
    if ($s) {
        # a readable socket between commands means EOF or junk: reconnect
        my $sel = IO::Select->new($s);
        if ($sel->can_read(0)) {
            $self->_redis_disconnect;
            $s = undef;
        }
    }
    unless ($s) {
        $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
            PeerPort => $self->redis_port, Proto => 'tcp', Timeout => 5)
            or croak "redis connect 127.0.0.1:" . $self->redis_port
                . ": $!";
        $s->setsockopt(IPPROTO_TCP, TCP_NODELAY, 1);
        binmode $s;
        $self->{redis_sock} = $s;
        $self->{redis_buf} = '';
        if (defined $self->{redis_password}) {
            my $auth = redis_encode('AUTH', $self->{redis_password});
            syswrite($s, $auth) == length $auth or croak "redis AUTH: $!";
            my $r = $self->_redis_reply;
            croak "redis AUTH: $r" if ref $r;
        }
    }
    return $s;
}

sub _redis_fill {
    my ($self, $timeout) = @_;
    my $s = $self->{redis_sock};
    my $sel = IO::Select->new($s);
    unless ($sel->can_read($timeout)) {
        $self->_redis_disconnect;
        croak 'redis: no reply';
    }
    my $n = sysread($s, my $chunk, 65536);
    unless ($n) {
        $self->_redis_disconnect;
        croak 'redis: connection closed';
    }
    $self->{redis_buf} .= $chunk;
}

sub _redis_line {
    my ($self) = @_;
    while (1) {
        my $i = index($self->{redis_buf}, "\r\n");
        if ($i >= 0) {
            my $line = substr($self->{redis_buf}, 0, $i);
            substr($self->{redis_buf}, 0, $i + 2, '');
            return $line;
        }
        $self->_redis_fill(30);
    }
}

sub _redis_bytes {
    my ($self, $n) = @_;
    $self->_redis_fill(30) while length($self->{redis_buf}) < $n + 2;
    my $data = substr($self->{redis_buf}, 0, $n);
    substr($self->{redis_buf}, 0, $n + 2, '');
    return $data;
}

sub _redis_reply {
    my ($self) = @_;
    my $line = $self->_redis_line;
    my $type = substr($line, 0, 1, '');
    if ($type eq '+') { return $line }
    if ($type eq '-') { return CCTest::Error->new($line) }
    if ($type eq ':') { return 0 + $line }
    if ($type eq '$') {
        return undef if $line < 0;
        return $self->_redis_bytes($line);
    }
    if ($type eq '*') {
        return undef if $line < 0;
        return [ map { $self->_redis_reply } 1 .. $line ];
    }
    croak "redis: unexpected reply type '$type$line'";
}

sub redis_encode {
    my (@args) = @_;
    my $out = '*' . scalar(@args) . "\r\n";
    for my $a (@args) {
        my $v = defined $a ? "$a" : '';
        utf8::encode($v) if utf8::is_utf8($v);
        $out .= '$' . length($v) . "\r\n$v\r\n";
    }
    return $out;
}

sub redis_cmd {
    my ($self, @args) = @_;
    my $s = $self->_redis_sock;
    my $out = redis_encode(@args);
    while (length $out) {
        my $n = syswrite($s, $out);
        unless (defined $n) {
            $self->_redis_disconnect;
            croak "redis write: $!";
        }
        substr($out, 0, $n, '');
    }
    return $self->_redis_reply;
}

sub redis_cmd_ok {
    my ($self, @args) = @_;
    my $r = $self->redis_cmd(@args);
    croak "redis @args[0 .. ($#args > 2 ? 2 : $#args)]: " . $r->message
        if ref $r eq 'CCTest::Error';
    return $r;
}

# Every key (SCAN, so the count is right on big databases too).
# How many keys hold data: DBSIZE but the routers' lease, which comes and
# goes with every routing step (common/lua/lease.lua).
sub stored_keys {
    my ($self) = @_;
    return scalar grep { !/^cc:routing:(?:lease|again)$/ }
        $self->redis_keys('*');
}

sub redis_keys {
    my ($self, $pattern) = @_;
    my ($cursor, @keys) = (0);
    do {
        my $r = $self->redis_cmd_ok('SCAN', $cursor, 'MATCH',
            $pattern // '*', 'COUNT', 1000);
        ($cursor, my $batch) = @$r;
        push @keys, @$batch;
    } while ($cursor ne '0');
    my %seen;
    return sort grep { !$seen{$_}++ } @keys;
}

# HGETALL as a hashref.
sub redis_hash {
    my ($self, $key) = @_;
    my $r = $self->redis_cmd_ok('HGETALL', $key);
    return { @{ $r // [] } };
}

sub functions_lua {
    my ($self) = @_;
    my $lua = `sh '$ROOT/common/embed.sh' --lua '$ROOT/common/callcenter.lua'`;
    croak "embed.sh --lua failed: $?" if $?;
    return $lua;
}

# The library's version (embed.sh --version): it is named callcenter_V and
# its functions NAME_V.
my $FUNCTIONS_VERSION;
sub functions_version {
    $FUNCTIONS_VERSION //= do {
        my $v = `sh '$ROOT/common/embed.sh' --version`;
        croak "embed.sh --version failed: $?" if $?;
        chomp $v;
        $v;
    };
    return $FUNCTIONS_VERSION;
}

# fn('cc_offer'): the name to FCALL, in this version of the library
sub fn {
    my ($self, $name) = @_;
    return "${name}_" . $self->functions_version;
}

# FCALL of this version's function NAME with no keys
sub fcall {
    my ($self, $name, @args) = @_;
    return $self->redis_cmd('FCALL', $self->fn($name), 0, @args);
}

# the answer of an FCALL that must succeed (croaks on an error reply)
sub fcall_ok {
    my ($self, $name, @args) = @_;
    my $r = $self->fcall($name, @args);
    croak "$name @args: " . $r->message if ref $r eq 'CCTest::Error';
    return $r;
}

# a test: the FCALL fails with CODE and a message matching the regex
sub fcall_fails {
    my ($self, $code, $msg, $name, @args) = @_;
    my $r = $self->fcall($name, @args);
    my $got = ref $r eq 'CCTest::Error' ? $r->message : 'no error';
    local $Test::Builder::Level = ($Test::Builder::Level // 1) + 1;
    return Test::More::like($got, qr/^$code $msg$/,
        "$name @{[grep { defined } @args[0, 1]]}: $code");
}

# [[id, event, decoded data], ...] of the stream KEY after id AFTER
sub stream_events {
    my ($self, $key, $after) = @_;
    my $r = $self->redis_cmd('XRANGE', $key, '(' . ($after // '0-0'), '+');
    return [map { my %f = @{ $_->[1] };
                  [$_->[0], $f{event}, $JSON->decode($f{data})] } @$r];
}

# the id of the stream KEY's last entry, 0-0 for none
sub stream_tip {
    my ($self, $key) = @_;
    my $r = $self->redis_cmd('XREVRANGE', $key, '+', '-', 'COUNT', 1);
    return @$r ? $r->[0][0] : '0-0';
}

# as the module and the router do: FUNCTION LOAD, without REPLACE, where
# this very version being loaded already is success
sub load_functions {
    my ($self) = @_;
    my $r = $self->redis_cmd('FUNCTION', 'LOAD', $self->functions_lua);
    return $r unless ref $r eq 'CCTest::Error';
    return 'callcenter_' . $self->functions_version
        if $r->message =~ /already exists/;
    croak "redis FUNCTION LOAD: " . $r->message;
}

# ---------------------------------------------------------------- router

sub write_agents {
    my ($self, $agents, $file) = @_;
    my $path = $file // "$self->{dir}/agents.json";
    my @list = map {
        my %a = %$_;
        $a{queues} //= [];
        $a{skills} //= [];
        $a{name} //= $a{id};
        $a{capacity} = 0 + ($a{capacity} // 1);
        \%a;
    } @$agents;
    _write_file($path, JSON::PP->new->utf8->canonical->pretty
        ->encode(\@list));
    $self->{agents_file} = $path unless $file;
    return $path;
}

# Loads agent profiles (as write_agents takes them) straight into Redis,
# as a router would: the queues they name become known (a call to any
# other queue is refused).  For tests without a router.
sub load_agents {
    my ($self, $agents) = @_;
    my @list = map {
        { id => $_->{id}, name => $_->{name} // $_->{id},
          queues => $_->{queues} // [], skills => $_->{skills} // [],
          capacity => 0 + ($_->{capacity} // 1) }
    } @$agents;
    $self->load_functions;
    # with the versioned library, its name for this version
    my $fn = $self->can('fn') ? $self->fn('cc_agents_load') : 'cc_agents_load';
    return $self->redis_cmd_ok('FCALL', $fn, 0,
        $JSON->encode(\@list));
}

# A queues file (PROTOCOL.md "Queues and routing"): start_router passes it
# as --queues unless its options name one.
sub write_queues {
    my ($self, $queues, $file) = @_;
    my $path = _write_file($file // "$self->{dir}/queues.json",
        JSON::PP->new->utf8->canonical->pretty->encode($queues));
    $self->{queues_file} = $path unless $file;
    return $path;
}

sub start_router {
    my ($self, @extra) = @_;
    $self->write_agents([]) unless $self->{agents_file};
    push @extra, '--queues', $self->{queues_file}
        if $self->{queues_file} && !grep { /^--queues\b/ } @extra;
    my $n = ++$self->{router_seq};
    my $log = "$self->{dir}/router-$n.log";
    my @wrapper = split ' ', ($ENV{CC_ROUTER_WRAPPER} // '');
    # the router refuses an address given twice
    my @redis = grep({ /^--(?:redis|sentinel)\b/ } @extra) ? ()
        : ('--redis', '127.0.0.1:' . $self->redis_port);
    my $pid = $self->_spawn($log, @wrapper, router_path(), @redis,
        '--agents', $self->{agents_file}, @extra);
    my $r = bless { pid => $pid, log => $log, n => $n }, 'CCTest::Router';
    push @{ $self->{routers} }, $r;
    # the router must load the agents (the queues they name become known)
    # before the test goes on
    if ($self->redis_running) {
        $self->wait_for(sub {
            _read_file($log) =~ /agents (?:not )?loaded|rejected/
        }, timeout => 15);
        # and the queues, loaded after the agents
        $self->wait_for(sub {
            _read_file($log) =~ /queues[^\n]*(?:loaded|rejected)/
        }, timeout => 15) if grep { /^--queues\b/ } @extra;
    }
    return $r;
}

sub stop_router {
    my ($self, $r) = @_;
    return $r->{status} if exists $r->{status};
    $r->{status} = _stop_pid($r->{pid}, TERM => 10);
    return $r->{status};
}

sub kill_router {
    my ($self, $r) = @_;
    return $r->{status} if exists $r->{status};
    kill 'KILL', $r->{pid};
    $r->{status} = _wait_exit($r->{pid}, 10);
    return $r->{status};
}

sub hup_router {
    my ($self, $r) = @_;
    kill 'HUP', $r->{pid};
}

# ---------------------------------------------------------------- nginx

sub port {
    my ($self) = @_;
    $self->{port} //= free_port();
    return $self->{port};
}

sub _subst {
    my ($self, $text) = @_;
    $text =~ s/%%PORT%%/$self->port/ge;
    $text =~ s/%%REDIS_PORT%%/$self->redis_port/ge;
    $text =~ s/%%TESTDIR%%/$self->{dir}/g;
    $text =~ s/%%ROOT%%/$ROOT/g;
    return $text;
}

# The nginx.conf text start_nginx writes (opt: workers, level, redis, http,
# main, error_log, pid).
sub nginx_conf {
    my ($self, $server, %opt) = @_;
    my $d = $self->{dir};
    my $workers = $opt{workers} // 1;
    my $level = $opt{level} // 'info';
    my $error_log = $opt{error_log} // "$d/error.log";
    my $pid = $opt{pid} // "$d/nginx.pid";
    my $redis = $opt{redis} // 'callcenter_redis 127.0.0.1:%%REDIS_PORT%%;';
    my $http = $opt{http} // '';
    my $main = $opt{main} // '';
    my $connections = $opt{connections} // 1024;
    my $module = $opt{module} // module_path();
    my $load = defined $module && length $module
        ? "load_module $module;" : '';
    mkdir "$d/temp";
    return $self->_subst(<<"EOF");
$load
daemon off;
master_process on;
worker_processes $workers;
pid $pid;
error_log $error_log $level;
$main

events {
    worker_connections $connections;
}

http {
    $redis
    access_log off;
    client_body_temp_path $d/temp/client_body;
    proxy_temp_path $d/temp/proxy;
    fastcgi_temp_path $d/temp/fastcgi;
    uwsgi_temp_path $d/temp/uwsgi;
    scgi_temp_path $d/temp/scgi;
    $http

    server {
        listen 127.0.0.1:%%PORT%%;
        server_name localhost;
        $server
    }
}
EOF
}

# `nginx -t` on a config (same options as start_nginx, and conf => TEXT for
# a whole file of one's own).  Returns {ok, output}; its own log files, so
# the error.log check at the end is untouched.
sub nginx_t {
    my ($self, $server, %opt) = @_;
    my $n = ++$self->{nginx_t_seq};
    my $dir = "$self->{dir}/t$n";
    mkdir $dir;
    my $conf = defined $opt{conf} ? $self->_subst($opt{conf})
        : $self->nginx_conf($server, error_log => "$dir/error.log",
            pid => "$dir/nginx.pid", %opt);
    _write_file("$dir/nginx.conf", $conf);
    my $nginx = nginx_binary();
    my %env = _nginx_env();
    local @ENV{ keys %env } = values %env;
    my $out = `'$nginx' -p '$dir/' -e '$dir/error.log' -c '$dir/nginx.conf' -t 2>&1`;
    return { ok => ($? == 0 ? 1 : 0), output => $out, status => $? >> 8 };
}

sub _worker_pids {
    my ($self) = @_;
    my $master = $self->{nginx_pid} or return {};
    my %w;
    opendir my $dh, '/proc' or return {};
    for my $pid (grep { /^\d+$/ } readdir $dh) {
        my $stat = _read_file("/proc/$pid/stat");
        next unless $stat =~ /^\d+ \(.*\) \S (\d+)/s && $1 == $master;
        my $cmd = _read_file("/proc/$pid/cmdline");
        $cmd =~ s/\0+/ /g;
        $w{$pid} = $cmd;
    }
    closedir $dh;
    return \%w;
}

# Under valgrind nginx cannot retitle its processes: every child of the
# master counts as a live worker.
sub _live_workers {
    my ($self) = @_;
    my $w = $self->_worker_pids;
    return grep { ($w->{$_} =~ /worker process/ || $w->{$_} =~ /valgrind/)
        && $w->{$_} !~ /shutting down/ } keys %$w;
}

sub _redis_client_ids {
    my ($self) = @_;
    my $list = eval { $self->redis_cmd('CLIENT', 'LIST') };
    return undef unless defined $list && !ref $list;
    my %ids = map { /\bid=(\d+)/ ? ($1 => 1) : () } split /\n/, $list;
    return \%ids;
}

# After nginx (re)starts: wait (without failing) until the new workers
# connected to redis, so that the first request does not meet a worker
# still connecting.
sub _wait_module_connected {
    my ($self, $before, $workers) = @_;
    return unless $before && $self->redis_running;
    my $redis = $self->{nginx_opt}{redis};
    return if defined $redis && $redis !~ /callcenter_redis/;
    $self->wait_for(sub {
        my $now = $self->_redis_client_ids or return 0;
        my $new = grep { !$before->{$_} } keys %$now;
        return $new >= $workers;
    }, timeout => 5);
    # and, when error.log says so (level info), until every live worker
    # has both links ready: slow workers (valgrind) are not yet
    my $level = $self->{nginx_opt}{level} // 'info';
    return unless $level =~ /^(?:info|debug)$/
        && !defined $self->{nginx_opt}{error_log};
    $self->wait_for(sub {
        my $log = $self->error_log;
        my %ready;
        $ready{$1}{$2} = 1
            while $log =~ /(\d+)#\d+: callcenter: redis (\w+) link ready/g;
        return !grep { keys %{ $ready{$_} // {} } < 2 }
            $self->_live_workers;
    }, timeout => 5);
}

sub start_nginx {
    my ($self, $server, %opt) = @_;
    croak 'nginx already running' if $self->{nginx_pid};
    my $d = $self->{dir};
    $self->{nginx_opt} = { %opt, server => $server };
    _write_file("$d/nginx.conf", $self->nginx_conf($server, %opt));
    my $before = $self->redis_running ? $self->_redis_client_ids : undef;
    my $nginx = nginx_binary();
    my %env = _nginx_env();
    local @ENV{ keys %env } = values %env;
    $self->{nginx_pid} = $self->_spawn("$d/nginx.out", $nginx,
        '-p', "$d/", '-e', "$d/error.log", '-c', "$d/nginx.conf");
    my $workers = $opt{workers} // 1;
    my $deadline = time + CCTest->scale(10);
    while (1) {
        unless (_alive($self->{nginx_pid})) {
            delete $self->{nginx_pid};
            croak "nginx exited:\n" . _read_file("$d/nginx.out")
                . _read_file("$d/error.log");
        }
        last if _port_accepts($self->port)
            && $self->_live_workers >= $workers;
        if (time > $deadline) {
            croak "nginx does not accept on " . $self->port . ":\n"
                . _read_file("$d/error.log");
        }
        sleep 0.05;
    }
    $self->_wait_module_connected($before, $workers);
    return $self->port;
}

sub default_server {
    my ($self, %opt) = @_;
    my $extra = delete $opt{extra} // '';
    return $self->start_nginx(<<"EOF", %opt);
location /call { callcenter_caller; }
        location /agent/ { callcenter_agent \$http_x_agent; }
        location = /callcenter/status { callcenter_status; }
        $extra
EOF
}

sub nginx_running { $_[0]{nginx_pid} && _alive($_[0]{nginx_pid}) }

sub reload_nginx {
    my ($self) = @_;
    my $master = $self->{nginx_pid} or croak 'nginx not running';
    my %old = map { $_ => 1 } keys %{ $self->_worker_pids };
    my $workers = $self->{nginx_opt}{workers} // 1;
    my $before = $self->redis_running ? $self->_redis_client_ids : undef;
    kill 'HUP', $master;
    my $ok = $self->wait_for(sub {
        my @new = grep { !$old{$_} } $self->_live_workers;
        return @new >= $workers;
    }, timeout => 10);
    croak "nginx reload: no new workers:\n"
        . _read_file("$self->{dir}/error.log") unless $ok;
    $self->_wait_module_connected($before, $workers);
    return 1;
}

sub stop_nginx {
    my ($self) = @_;
    my $pid = delete $self->{nginx_pid} or return;
    return _stop_pid($pid, QUIT => 10, TERM => 5);
}

sub error_log { _read_file("$_[0]{dir}/error.log") }

# ---------------------------------------------------------------- http

sub _ua {
    my ($self) = @_;
    $self->{ua} //= HTTP::Tiny->new(timeout => CCTest->scale(15),
        max_redirect => 0, keep_alive => 0, agent => 'CCTest/1.0');
    return $self->{ua};
}

sub decode_json_maybe {
    my ($text) = @_;
    return undef unless defined $text && $text =~ /^\s*[\{\[]/;
    my $v = eval { $JSON->decode($text) };
    return $v;
}

# $t->http(METHOD, PATH, body => TEXT|CODEREF, headers => {...})
sub http {
    my ($self, $method, $path, %opt) = @_;
    my $url = 'http://127.0.0.1:' . $self->port . $path;
    my %args;
    $args{headers} = $opt{headers} if $opt{headers};
    if (defined $opt{body}) {
        my $body = $opt{body};
        if (ref $body eq 'HASH' || ref $body eq 'ARRAY') {
            $body = $JSON->encode($body);
        } elsif (!ref $body) {
            utf8::encode($body) if utf8::is_utf8($body);
        }
        $args{content} = $body;
    }
    my $res = $self->_ua->request($method, $url, \%args);
    return {
        status => $res->{status},
        reason => $res->{reason},
        headers => $res->{headers},
        content => $res->{content},
        json => decode_json_maybe($res->{content}),
    };
}

# a body is JSON unless the test says otherwise (the agent API wants it)
sub agent_http {
    my ($self, $agent, $method, $path, %opt) = @_;
    my %h = (%{ $opt{headers} // {} }, 'X-Agent' => $agent);
    $h{'Content-Type'} = 'application/json'
        if defined $opt{body} && !grep { lc eq 'content-type' } keys %h;
    return $self->http($method, $path, %opt, headers => \%h);
}

# Sends raw bytes, returns what nginx answered (until it closes or
# timeout): {status, headers (lower-case names), body, raw}.
sub raw_http {
    my ($self, $request, %opt) = @_;
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
        PeerPort => $self->port, Proto => 'tcp', Timeout => 5)
        or croak "connect: $!";
    binmode $s;
    my $out = $request;
    my $sel = IO::Select->new($s);
    my $deadline = time + CCTest->scale($opt{timeout} // 10);
    my $raw = '';
    while (length $out) {
        my $n = syswrite($s, $out, 65536);
        last unless defined $n;        # nginx may close early (413)
        substr($out, 0, $n, '');
        # read what is ready, so neither side blocks
        while ($sel->can_read(0)) {
            my $r = sysread($s, my $buf, 65536);
            last unless $r;
            $raw .= $buf;
        }
    }
    while (time < $deadline) {
        last unless $sel->can_read($deadline - time);
        my $r = sysread($s, my $buf, 65536);
        last unless $r;
        $raw .= $buf;
    }
    close $s;
    my %res = (raw => $raw);
    if ($raw =~ m{^HTTP/1\.[01] (\d{3})[^\r\n]*\r\n(.*?)\r\n\r\n(.*)\z}s) {
        $res{status} = $1;
        my ($head, $body) = ($2, $3);
        for (split /\r\n/, $head) {
            $res{headers}{ lc $1 } = $2 if /^([^:]+):\s*(.*)$/;
        }
        if (($res{headers}{'transfer-encoding'} // '') =~ /chunked/i) {
            my $dec = '';
            while ($body =~ s/^([0-9a-fA-F]+)[^\r\n]*\r\n//) {
                my $len = hex $1;
                last if $len == 0;
                $dec .= substr($body, 0, $len, '');
                $body =~ s/^\r\n//;
            }
            $body = $dec;
        }
        $res{body} = $body;
        $res{json} = decode_json_maybe($body);
    }
    return \%res;
}

# True once nginx has read every byte a client socket of ours sent: its
# end of the connection (in /proc/net/tcp) holds nothing unread.  For
# a request that must have reached nginx before the client goes away.
sub nginx_has_read {
    my ($self, $sock) = @_;
    my $here = sprintf '0100007F:%04X', $sock->sockport;
    my $there = sprintf '0100007F:%04X', $self->port;
    for (split /\n/, _read_file('/proc/net/tcp')) {
        my (undef, $local, $remote, undef, $queues) = split ' ';
        next unless $local eq $there && $remote eq $here;
        return hex((split /:/, $queues)[1]) == 0;
    }
    return 0;
}

sub sse {
    my ($self, $path, %opt) = @_;
    return CCTest::SSE->open($self->port, $path, %opt);
}

sub agent_sse {
    my ($self, $agent, %opt) = @_;
    my $path = delete $opt{path} // '/agent/events';
    my %h = (%{ $opt{headers} // {} }, 'X-Agent' => $agent);
    return $self->sse($path, %opt, headers => \%h);
}

# Opens the agent's stream and makes the agent available; returns the
# stream.
sub agent_online {
    my ($self, $agent, %opt) = @_;
    my $s = $self->agent_sse($agent, %opt);
    my $r = $self->agent_http($agent, 'POST', '/agent/status',
        body => '{"status":"available"}');
    croak "agent_online $agent: $r->{status} $r->{content}"
        unless $r->{status} == 200;
    return $s;
}

sub agent_status {
    my ($self, $agent, $status) = @_;
    return $self->agent_http($agent, 'POST', '/agent/status',
        body => "{\"status\":\"$status\"}")->{status};
}

# Redis's clock (the library's), in ms; tick: until it has moved on
sub redis_ms {
    my $tm = $_[0]->redis_cmd_ok('TIME');
    return $tm->[0] * 1000 + int($tm->[1] / 1000);
}
sub tick {
    my ($self) = @_;
    $self->until_redis($self->redis_ms);
}
# until Redis's clock is past ms
sub until_redis {
    my ($self, $ms) = @_;
    $self->wait_for(sub { $self->redis_ms > $ms }, interval => 0.001)
        or croak "Redis's clock never passed $ms";
}

# Agents online one after the other, each idle since a later ms than the
# one before (longest idle first); returns {id => stream}.
sub agents_online {
    my ($self, @ids) = @_;
    my %s;
    for (@ids) {
        $s{$_} = $self->agent_online($_);
        $self->tick;
    }
    return \%s;
}

# What each routing record of call ID (GET /agent/calls/ID as AGENT reads
# it), oldest first, said of candidate WHO: its whys.
sub routing_whys {
    my ($self, $agent, $id, $who) = @_;
    my $c = $self->agent_http($agent, 'GET', "/agent/calls/$id")->{json};
    return map { map { $_->{agent} eq $who ? $_->{why} : () }
        @{ $_->{candidates} // [] } }
        @{ ref $c eq 'HASH' && $c->{routing} || [] };
}

# The first event NAME (that match => CODE accepts) on any of the streams
# {key => stream}: (key, event), or () after timeout.  The events passed
# by are in each stream's {passed}.
sub first_event {
    my ($self, $streams, $name, %opt) = @_;
    my $match = $opt{match} // sub { 1 };
    my $deadline = time + CCTest->scale($opt{timeout} // 10);
    while (time < $deadline) {
        for my $k (sort keys %$streams) {
            my $s = $streams->{$k};
            while (my $ev = $s->_next_event_by(time + 0.01)) {
                return ($k, $ev) if $ev->{event} eq $name && $match->($ev);
                push @{ $s->{passed} }, $ev;
            }
        }
    }
    return ();
}

# CC_TEST_TIMEOUT_SCALE: every wait of the harness and the tests is longer,
# windows that collect events too (events_until(sub { 0 }, ...)): keep it low
sub scale { ($_[1] // 0) * ($ENV{CC_TEST_TIMEOUT_SCALE} || 1) }

sub wait_for {
    my ($self, $cb, %opt) = @_;
    my $deadline = time + CCTest->scale($opt{timeout} // 5);
    while (1) {
        my $v = $cb->();
        return $v if $v;
        return undef if time > $deadline;
        sleep($opt{interval} // 0.05);
    }
}

# POST /call with the fields as JSON body (-headers => {...} adds headers);
# returns the decoded 201 answer.  As a person's page would, it opens the
# caller's event stream (a call rings only while its caller is present),
# kept open in {stream} (unread) while the answer lives; -stream => 0: no
# stream (the caller is absent, the call ends after callcenter_caller_grace).
# $t->fill_history($call, $n, $text): $n caller chat messages of $text
# (each "I $text") written straight into the call's events stream, in one
# script: a long history for catch-up and slow-reader tests.
sub fill_history {
    my ($self, $call, $n, $text) = @_;
    $self->redis_cmd_ok('EVAL', <<'EOF', 1, "cc:call:$call:events", $n,
for i = 1, tonumber(ARGV[1]) do
    redis.call('XADD', KEYS[1], '*', 'event', 'message', 'data',
        '{"call":"' .. ARGV[2] .. '","from":"caller","message":'
        .. '{"type":"chat","text":"' .. i .. ' ' .. ARGV[3] .. '"}}')
end
EOF
        $call, $text);
}

sub create_call {
    my ($self, %fields) = @_;
    my $headers = delete $fields{-headers};
    my $stream = delete $fields{-stream} // 1;
    my $res = $self->http('POST', '/call', body => $JSON->encode(\%fields),
        headers => { 'Content-Type' => 'application/json',
            %{ $headers // {} } });
    croak "create_call: $res->{status} $res->{content}"
        unless $res->{status} == 201 && ref $res->{json} eq 'HASH';
    my $c = $res->{json};
    $c->{headers} = $res->{headers};
    $c->{stream} = $self->sse("/call/$c->{call}/events?token=$c->{token}")
        if $stream;
    return $c;
}

# A call answered: created (fields as create_call's), offered to agent
# (online, its stream as), accepted, `assigned` heard on the caller's
# stream; each step a test.  Returns the call, its stream in ->{stream}.
sub answered_call {
    my ($self, $as, $agent, %fields) = @_;
    my $c = $self->create_call(%fields);
    my $ev = $as->wait_event('offer', timeout => 10);
    Test::More::is($ev && $ev->{json}{call}, $c->{call},
        "$agent is offered the call");
    Test::More::is($self->agent_http($agent, 'POST',
        "/agent/calls/$c->{call}/accept")->{status}, 200, "$agent accepts");
    $ev = $c->{stream}->wait_event('assigned', timeout => 5);
    Test::More::is($ev && $ev->{json}{agent}{id}, $agent,
        'the caller hears it is assigned');
    return $c;
}

# ---------------------------------------------------------------- prometheus

# skips the test file unless promtool and prometheus are in PATH
sub need_prometheus {
    for my $bin (qw(promtool prometheus)) {
        Test::More::plan(skip_all =>
            "no $bin (scripts/install-deps.sh --tests)")
            unless grep { -x "$_/$bin" } split /:/, $ENV{PATH};
    }
}

# Debian's prometheus scraping this nginx's status location (?format=
# prometheus) once a second, on a free port; stopped by finish.
sub start_prometheus {
    my ($self) = @_;
    croak 'prometheus already running' if $self->{prom_pid};
    my $d = $self->{dir};
    $self->{prom_port} = free_port();
    _write_file("$d/prometheus.yml", <<"EOF");
global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: callcenter
    metrics_path: /callcenter/status
    params:
      format: [prometheus]
    static_configs:
      - targets: ['127.0.0.1:${\ $self->port }']
EOF
    $self->{prom_pid} = $self->_spawn("$d/prometheus.log", 'prometheus',
        "--config.file=$d/prometheus.yml", "--storage.tsdb.path=$d/tsdb",
        "--web.listen-address=127.0.0.1:$self->{prom_port}");
    return $self->{prom_port};
}

# The samples of an instant query, [{metric => {labels}, value => TEXT}],
# or undef while Prometheus has none (or is not ready).
sub prometheus_query {
    my ($self, $q) = @_;
    my $url = "http://127.0.0.1:$self->{prom_port}/api/v1/query?query="
        . join('', map { /[\w.~-]/ ? $_ : sprintf '%%%02X', ord }
                   split //, $q);
    my $r = HTTP::Tiny->new(timeout => 5)->get($url);
    return undef unless $r->{success};
    my $d = decode_json_maybe($r->{content}) or return undef;
    my $res = $d->{data}{result} or return undef;
    return undef unless @$res;
    return [ map { { metric => $_->{metric}, value => $_->{value}[1] } }
             @$res ];
}

# `promtool check metrics` on an exposition text: (exit status, output);
# clean is (0, '').
sub promtool_metrics {
    my ($self, $text) = @_;
    my $n = ++$self->{promtool_seq};
    my $file = _write_file("$self->{dir}/metrics-$n.txt", $text);
    my $out = `promtool check metrics < '$file' 2>&1`;
    return ($? >> 8, $out);
}

# its exit status (0: a clean stop), undef when not running
sub stop_prometheus {
    my ($self) = @_;
    my $pid = delete $self->{prom_pid} or return undef;
    return _stop_pid($pid, TERM => 10);
}

# ---------------------------------------------------------------- end

# A caller's chat message TEXT in call $c (a create_call result), as the
# module would send it, no limits: the event id.
sub chat {
    my ($self, $c, $text) = @_;
    return $self->fcall_ok('cc_caller_message', $c->{call}, $c->{token},
        qq({"type":"chat","text":"$text"}), 'keep', 0, 0, 0);
}

# Removes from error.log the lines matching re (an alert a test caused on
# purpose: a worker it killed), before finish() looks at it.
sub forgive_log {
    my ($self, $re) = @_;
    my $log = $self->testdir . '/error.log';
    _write_file($log, join '', grep { !/$re/ } split /^/, _read_file($log));
}

sub finish {
    my ($self) = @_;
    return if $self->{finished}++;
    $_->finish for @{ $self->{nodes} // [] };
    $self->stop_prometheus;
    my @status;
    push @status, $self->stop_nginx if $self->{nginx_pid};
    for my $r (@{ $self->{routers} }) {
        $self->stop_router($r);
    }
    $self->stop_redis if $self->{redis_pid};
    _stop_pid($_->{pid}, TERM => 5) for grep { _alive($_->{pid}) }
        reverse @{ $self->{servers} // [] };

    my $hub = eval { require Test2::API; Test2::API::test2_stack()->top };
    my $skipped = !$self->{checks} || ($hub && ($hub->plan // '') eq 'SKIP');
    my $log = "$self->{dir}/error.log";
    if (-e $log && !$skipped) {
        # a worker's stderr is error.log; the master's, before it, nginx.out
        my @bad = grep { /\[(alert|emerg|crit)\]|$SANITIZER_REPORT/ }
            split /\n/, _read_file($log);
        push @bad, grep { /$SANITIZER_REPORT/ }
            split /\n/, _read_file("$self->{dir}/nginx.out");
        Test::More::ok(!@bad, 'no alert, emerg, crit nor sanitizer report'
            . ' in error.log')
            or Test::More::diag(join "\n", @bad[0 .. ($#bad < 19 ? $#bad : 19)]);
    }
    my @rbad;
    for my $r (@{ $self->{routers} }) {
        push @rbad, map { "router-$r->{n}: $_" }
            grep { /$SANITIZER_REPORT/ } split /\n/, _read_file($r->{log});
    }
    if (@{ $self->{routers} } && !$skipped) {
        Test::More::ok(!@rbad, 'no sanitizer report in router logs')
            or Test::More::diag(join "\n", @rbad);
    }
    if ($ENV{CC_TEST_VERBOSE}) {
        for my $f (sort glob("$self->{dir}/*.log $self->{dir}/*.out")) {
            my $text = _read_file($f);
            next unless length $text;
            Test::More::diag("==== $f\n$text");
        }
    }
}

package CCTest::Error;

sub new { my ($class, $msg) = @_; bless { message => $msg }, $class }
sub message { $_[0]{message} }
use overload '""' => sub { $_[0]{message} }, fallback => 1;

package CCTest::Router;

sub pid { $_[0]{pid} }
sub log_file { $_[0]{log} }
sub log_text { CCTest::_read_file($_[0]{log}) }
sub alive { !exists $_[0]{status} && CCTest::_alive($_[0]{pid}) }

package CCTest::SSE;

use Carp qw(croak);
use IO::Select;
use Time::HiRes qw(time);

# Opens PATH on 127.0.0.1:PORT as an HTTP/1.1 event stream; croaks unless
# 200 text/event-stream.  opt headers => {...}, timeout => seconds (head).
sub open {
    my ($class, $port, $path, %opt) = @_;
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port,
        Proto => 'tcp', Timeout => 5) or croak "sse connect: $!";
    binmode $s;
    my $req = "GET $path HTTP/1.1\r\nHost: localhost\r\n"
        . "Accept: text/event-stream\r\n";
    my %h = %{ $opt{headers} // {} };
    $req .= "$_: $h{$_}\r\n" for sort keys %h;
    $req .= "\r\n";
    my $out = $req;
    while (length $out) {
        my $n = syswrite($s, $out) // croak "sse write: $!";
        substr($out, 0, $n, '');
    }
    my $self = bless { sock => $s, sel => IO::Select->new($s), raw => '',
        body => '', chunked => 0, eof => 0, comments => [],
        all_comments => [], path => $path }, $class;

    my $deadline = time + CCTest->scale($opt{timeout} // 10);
    while ($self->{raw} !~ /\r\n\r\n/) {
        $self->_read($deadline - time) or last;
    }
    my $i = index($self->{raw}, "\r\n\r\n");
    croak "sse $path: no response head: '$self->{raw}'" if $i < 0;
    my $head = substr($self->{raw}, 0, $i);
    substr($self->{raw}, 0, $i + 4, '');
    my ($status) = $head =~ m{^HTTP/1\.[01] (\d{3})};
    my %hdr;
    for (split /\r\n/, $head) {
        $hdr{ lc $1 } = $2 if /^([^:]+):\s*(.*)$/;
    }
    $self->{status} = $status;
    $self->{headers} = \%hdr;
    $self->{chunked} = ($hdr{'transfer-encoding'} // '') =~ /chunked/i;
    unless (defined $status && $status == 200
        && ($hdr{'content-type'} // '') =~ m{^text/event-stream})
    {
        # read the rest, for the message
        my $d2 = time + 1;
        while ($self->_read($d2 - time)) { }
        croak "sse $path: not an event stream: $head\r\n\r\n$self->{raw}";
    }
    $self->_decode;
    return $self;
}

sub status { $_[0]{status} }
sub headers { $_[0]{headers} }
sub eof { $_[0]{eof} }

# one sysread within timeout; false on timeout or EOF
sub _read {
    my ($self, $timeout) = @_;
    return 0 if $self->{eof} || !$self->{sock};
    $timeout = 0 if $timeout < 0;
    return 0 unless $self->{sel}->can_read($timeout);
    my $n = sysread($self->{sock}, my $buf, 65536);
    unless ($n) {
        $self->{eof} = 1;
        return 0;
    }
    $self->{raw} .= $buf;
    return 1;
}

# moves what is complete from raw (chunked or not) into body
sub _decode {
    my ($self) = @_;
    unless ($self->{chunked}) {
        $self->{body} .= $self->{raw};
        $self->{raw} = '';
        return;
    }
    while (1) {
        return unless $self->{raw} =~ /^([0-9a-fA-F]+)[^\r\n]*\r\n/;
        my $len = hex $1;
        my $hlen = length($&);
        if ($len == 0) {
            $self->{ended} = 1;
            $self->{raw} = '';
            return;
        }
        return if length($self->{raw}) < $hlen + $len + 2;
        $self->{body} .= substr($self->{raw}, $hlen, $len);
        substr($self->{raw}, 0, $hlen + $len + 2, '');
    }
}

# parses one block (up to a blank line) off body; returns the event hash,
# 'skip' for a block without data, or undef if no complete block
sub _parse_block {
    my ($self) = @_;
    $self->{body} =~ s/\r\n/\n/g;
    $self->{body} =~ s/\r/\n/g;
    $self->{body} =~ s/^\n+//;
    my $i = index($self->{body}, "\n\n");
    return undef if $i < 0;
    my $block = substr($self->{body}, 0, $i);
    substr($self->{body}, 0, $i + 2, '');
    my (%ev, @data);
    for my $line (split /\n/, $block) {
        if ($line =~ /^:\s?(.*)$/) {
            push @{ $self->{comments} }, $1;
            push @{ $self->{all_comments} }, $1;
            next;
        }
        my ($field, $value) = $line =~ /^([^:]*)(?::\s?(.*))?$/;
        $value //= '';
        if ($field eq 'data') { push @data, $value }
        elsif ($field eq 'event') { $ev{event} = $value }
        elsif ($field eq 'id') { $ev{id} = $value; $self->{last_id} = $value }
        elsif ($field eq 'retry') { $ev{retry} = $value;
            $self->{retry} = $value }
        else { push @{ $ev{unknown} }, $line }
    }
    return 'skip' unless @data;
    $ev{event} //= 'message';
    $ev{data} = join "\n", @data;
    $ev{json} = CCTest::decode_json_maybe($ev{data});
    $ev{comments} = $self->{comments};
    $self->{comments} = [];
    return \%ev;
}

# The next event (a block with data) or undef on timeout/EOF.  Comments
# seen on the way are in its {comments}, and all of them in ->comments.
sub next_event {
    my ($self, %opt) = @_;
    return $self->_next_event_by(time + CCTest->scale($opt{timeout} // 5));
}

sub _next_event_by {
    my ($self, $deadline) = @_;
    while (1) {
        return shift @{ $self->{pending} } if @{ $self->{pending} // [] };
        while (defined(my $ev = $self->_parse_block)) {
            next if !ref $ev;
            return $ev;
        }
        return undef if $self->{ended};
        my $left = $deadline - time;
        return undef if $left <= 0;
        $self->_read($left) or return undef;
        $self->_decode;
    }
}

# Events up to and including the first one the callback accepts (or all
# read until timeout/EOF, without a match).
sub events_until {
    my ($self, $cb, %opt) = @_;
    my $deadline = time + CCTest->scale($opt{timeout} // 5);
    my @evs;
    while (1) {
        my $left = $deadline - time;
        last if $left <= 0;
        my $ev = $self->_next_event_by($deadline) or last;
        push @evs, $ev;
        last if $cb->($ev);
    }
    return @evs;
}

# The first event named NAME (and accepted by match => CODE, if given),
# skipping others; undef on timeout.  The skipped ones are in ->skipped.
sub wait_event {
    my ($self, $name, %opt) = @_;
    my $match = $opt{match} // sub { 1 };
    my @evs = $self->events_until(sub {
        $_[0]{event} eq $name && $match->($_[0]) }, %opt);
    my $last = pop @evs;
    $self->{skipped} = \@evs;
    return $last if $last && $last->{event} eq $name && $match->($last);
    push @{ $self->{skipped} }, $last if $last;
    return undef;
}

sub skipped { @{ $_[0]{skipped} // [] } }

# The text of the first chat message whose text is TEXT, or undef.
sub wait_text {
    my ($self, $text) = @_;
    my $ev = $self->wait_event('message', timeout => 5,
        match => sub { ($_[0]{json}{message}{text} // '') eq $text });
    return $ev && $ev->{json}{message}{text};
}

# Waits until a comment arrives (or timeout); returns it or undef.
sub next_comment {
    my ($self, %opt) = @_;
    my $deadline = time + CCTest->scale($opt{timeout} // 5);
    my $have = scalar @{ $self->{all_comments} };
    my $start = $self->{comment_pos} // 0;
    while (1) {
        # parse any complete blocks; events read meanwhile are kept
        while (defined(my $ev = $self->_parse_block)) {
            push @{ $self->{pending} }, $ev if ref $ev;
        }
        if (@{ $self->{all_comments} } > $start) {
            $self->{comment_pos} = $start + 1;
            return $self->{all_comments}[$start];
        }
        my $left = $deadline - time;
        return undef if $left <= 0 || $self->{ended};
        $self->_read($left) or return undef;
        $self->_decode;
    }
}

sub comments { @{ $_[0]{all_comments} } }
sub last_id { $_[0]{last_id} }

# Reads until EOF (or timeout); true if the server ended the stream.
sub wait_eof {
    my ($self, %opt) = @_;
    my $deadline = time + CCTest->scale($opt{timeout} // 5);
    while (!$self->{eof} && !$self->{ended}) {
        my $left = $deadline - time;
        return 0 if $left <= 0;
        $self->_read($left);
        $self->_decode;
    }
    return 1;
}

sub close {
    my ($self) = @_;
    close $self->{sock} if $self->{sock};
    delete $self->{sock};
    $self->{eof} = 1;
}

sub DESTROY { $_[0]->close }

1;

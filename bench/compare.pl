#!/usr/bin/env perl
# Figures side by side with Nchan, printed, never asserted (issue 8).
# Starts its own redis-server and router, our nginx (2 workers, our
# module) and a second stock nginx (2 workers) with Debian's
# libnginx-mod-nchan and Nchan's Redis store (nchan_redis_pass, its
# default distributed mode) on the same Redis: never both modules in one
# nginx.  Each figure's runs alternate between the two
# (ours first, then Nchan first...), and each figure is the median of
# --runs runs.  Streams and publishing go through build/bench/cc-load.
#
#     perl bench/compare.pl [--calls 1000] [--messages 10] [--publishers 4]
#         [--streams 10000] [--concurrent 20000] [--runs 3]
#         [--intake-seconds 5] [--connections 50]
#         [--only relay,memory,concurrent,intake] [--agents N]
#
# A quick run (under 2 minutes): --calls 100 --streams 1000
# --concurrent 2000 --runs 1 --intake-seconds 2
#
# What each figure counts (README "Against Nchan" says it too):
# - relay: ours, --calls live calls (POST /call, the caller's stream
#   opened once so that it rings, accepted by agents through the agent
#   API), then every caller stream and every agent stream open in
#   cc-load; each round one message per call, from the caller (even
#   calls) or its agent (odd calls), that must reach 2 streams: the
#   caller's and the agent's (an agent's stream carries all its calls).
#   Nchan: --calls channels, one SSE subscriber each, each round one POST
#   per channel that must reach its 1 subscriber; "nchan2": two
#   subscribers a channel, ours' deliveries.  Latency: every (message,
#   stream) delivery, from the request written to the event read;
#   messages/s: 2xx answers over the publishing time; CPU of the nginx
#   workers and redis-server over the publishing, per message.  Same
#   body on both sides, fresh calls and channels each run.
# - memory: --streams idle streams, ours one caller stream per call,
#   Nchan one subscriber per channel; the calls (each one's first stream
#   opened and closed: it waits in its queue) and the channels (one
#   message published to each) are made before the baseline, so the
#   figure is what an open stream adds (what making them cost is printed
#   apart); each nginx restarted before its run so that no memory freed
#   by a run before is reused; the sum of both workers' VmRSS (PSS
#   printed too) and Redis used_memory, before and after, over the
#   streams; for ours, where Redis's part goes (redis_breakdown).
# - intake: wrk, 2 threads, --connections, POST /call with a JSON body
#   against a `return 201` location of our same nginx, same body.
# - concurrent: two cc-load processes of --concurrent/2 streams each (100
#   streams a call or channel); one holds its streams (--idle) while the
#   other opens its own and sends one message a call or channel that
#   every one of its streams must get; then the other way round.
use strict; use warnings;
use FindBin; use lib "$FindBin::Bin/../t/lib", "$FindBin::Bin/lib";
use Getopt::Long;
use IO::Socket::INET;
use POSIX qw(ceil);
use Socket qw(IPPROTO_TCP TCP_NODELAY);
use Time::HiRes qw(time sleep);
use CCTest;
use Bench;
use CCLoad;

my %o = (calls => 1000, messages => 10, publishers => 4, streams => 10000,
    concurrent => 20000, runs => 3, 'intake-seconds' => 5,
    connections => 50, only => 'relay,memory,concurrent,intake',
    nchan => '/usr/lib/nginx/modules/ngx_nchan_module.so', timeout => 30,
    'connect-rate' => '', agents => 0);
GetOptions(\%o, 'calls=i', 'messages=i', 'publishers=i', 'streams=i',
    'concurrent=i', 'runs=i', 'intake-seconds=i', 'connections=i',
    'only=s', 'nchan=s', 'timeout=i', 'connect-rate=i', 'agents=i')
    or die "bad options\n";
my %only = map { ($_ => 1) } split /,/, $o{only};
die "no $o{nchan} (apt-get install libnginx-mod-nchan)\n" unless -f $o{nchan};
die "no " . CCLoad::binary() . " (cmake --build build)\n"
    if grep({ $only{$_} } qw(relay memory concurrent))
        && !-x CCLoad::binary();
die "no wrk (scripts/install-deps.sh --tests)\n"
    if $only{intake} && !grep { -x "$_/wrk" } split /:/, $ENV{PATH};

# ---------------------------------------------------------------- setup

my $PER_CALL = 100;     # concurrent: streams a call or channel
# agents: by default as few as the agents file's capacity max (100) allows
my $agents = $o{agents} || ceil($o{calls} / 100);
die "--agents: at most 100 calls an agent\n" if $o{calls} > 100 * $agents;
my @agents = map { { id => "a$_", name => "Agent $_", queues => ['relay'],
    capacity => ceil($o{calls} / $agents) } } 1 .. $agents;

my $t = CCTest->new(checks => 0);   # figures only, no TAP
$t->start_redis;
$t->write_agents(\@agents);
$t->write_queues({ map { ($_ => {}) } qw(relay idle intake many) });
$t->start_router('--offer-timeout', 600);
my $dir = $t->testdir;

# Both: descriptors and connections for 20,000 streams on 2 workers
my %big = (workers => 2, connections => 45000,
    main => 'worker_rlimit_nofile 50000;');
# Ours: the per-call message rate and budget, the streams per call and
# per address are turned off (one client address opens every stream);
# the graces are long so that a caller or agent between its first stream
# and cc-load's stays present.
my $limits = 'callcenter_message_rate off; callcenter_call_budget 0;'
    . ' callcenter_streams_per_call 0; callcenter_streams_per_address 0;'
    . ' callcenter_caller_grace 30m; callcenter_presence_grace 30m;';
my $created = q(location = /created { default_type application/json;)
    . q( return 201 '{"call":"x"}'; });
$t->default_server(%big, http => $limits, extra => $created);

my $n = $t->node;
$n->{checks} = 0;
$n->start_nginx(<<'EOF', %big, module => '', redis => '',
location ~ ^/nchan/pub/(\w+)$ {
            nchan_publisher; nchan_channel_id $1; nchan_redis_pass nchan_redis;
        }
        location ~ ^/nchan/sub/(\w+)$ {
            nchan_subscriber; nchan_channel_id $1; nchan_redis_pass nchan_redis;
        }
EOF
    main => "load_module $o{nchan}; $big{main}",
    http => 'upstream nchan_redis {'
        . ' nchan_redis_server redis://127.0.0.1:%%REDIS_PORT%%; }');
nchan_ready();

my %KA;     # port => its keep-alive connection (ka below)
my %side = (
    ours => { t => $t, addr => '127.0.0.1:' . $t->port },
    nchan => { t => $n, addr => '127.0.0.1:' . $n->port },
);

# Every worker of the Nchan nginx says its Redis upstream is ready.
sub nchan_ready {
    my $ok = $n->wait_for(sub {
        my ($log, %ready) = ($n->error_log);
        $ready{$1} = 1 while $log
            =~ /(\d+)#\d+: nchan: Redis upstream nchan_redis: ready/g;
        return !grep { !$ready{$_} } $n->_live_workers;
    }, timeout => 15);
    die "nchan: Redis upstream not ready:\n" . $n->error_log unless $ok;
}

sub restart {
    my ($x) = @_;
    my %opt = %{ $x->{nginx_opt} };
    my $server = delete $opt{server};
    $x->stop_nginx;
    delete $KA{ $x->port };     # its keep-alive connection is gone
    $x->start_nginx($server, %opt);
    nchan_ready() if $x == $n;
}

# The run order of run r: ours first on odd runs, Nchan first on even.
sub order { $_[0] % 2 ? qw(ours nchan) : qw(nchan ours) }

sub median { Bench::percentile(50, @_) }

# ---------------------------------------------------------------- http

# Requests on one keep-alive connection to port (a new one every 500:
# nginx's keepalive_requests is 1000): (status, body).
sub ka {
    my ($port, $method, $path, $body, @headers) = @_;
    my $c = $KA{$port} //= { n => 0 };
    if (!$c->{sock} || $c->{n}++ >= 500) {
        $c->{sock} = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
            PeerPort => $port) or die "connect $port: $!\n";
        $c->{sock}->setsockopt(IPPROTO_TCP, TCP_NODELAY, 1);
        $c->{n} = 1;
    }
    my $s = $c->{sock};
    print $s "$method $path HTTP/1.1\r\nHost: bench\r\n",
        map({ "$_\r\n" } @headers),
        defined $body ? ('Content-Length: ' . length($body) . "\r\n") : (),
        "\r\n", $body // '';
    my $status = <$s> // die "$method $path: no answer\n";
    my ($len, $close) = (0, 0);
    while (my $line = <$s>) {
        last if $line eq "\r\n";
        $len = $1 if $line =~ /^Content-Length:\s*(\d+)/i;
        $close = 1 if $line =~ /^Connection:\s*close/i;
    }
    read($s, my $content, $len) if $len;
    delete $c->{sock} if $close;
    return ($status =~ m{^HTTP/1\.1 (\d+)} ? $1 : 0, $content // '');
}

my $JSON = CCTest->json;
my $CHAT = '{"type":"chat","text":"%T"}';   # the body on both sides

# n calls to queue q: [{call, token}, ...]
sub create_calls {
    my ($q, $count) = @_;
    my $body = $JSON->encode({ queue => $q, name => 'Bench',
        page => 'https://shop.example/' });
    my @calls;
    for (1 .. $count) {
        my ($st, $c) = ka($t->port, 'POST', '/call', $body,
            'Content-Type: application/json');
        die "POST /call: $st $c\n" unless $st == 201;
        push @calls, $JSON->decode($c);
    }
    return @calls;
}

sub caller_path { "/call/$_[0]{call}/events?token=$_[0]{token}" }

# A caller's first stream, open and closed again: the call enters its
# queue and rings; the caller stays present for callcenter_caller_grace.
sub touch_caller {
    my ($c) = @_;
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
        PeerPort => $t->port) or die "connect: $!\n";
    print $s "GET ", caller_path($c), " HTTP/1.1\r\nHost: bench\r\n\r\n";
    my $line = <$s> // '';
    die "caller stream: $line\n" unless $line =~ m{^HTTP/1\.1 200};
    close $s;
}

# After a run on Nchan, its keys go: what Redis would expire of them
# later must not land in the other side's figures.
sub drop_nchan_keys {
    my @keys = $t->redis_keys('{channel:*');
    $t->redis_cmd_ok('DEL', splice @keys, 0, 1000) while @keys;
}

# Newest first: no call behind moves up, so no position is sent again.
sub hang_up {
    for my $c (reverse @_) {
        my ($st) = ka($t->port, 'POST',
            "/call/$c->{call}/hangup?token=$c->{token}");
        warn "hangup: $st\n" unless $st == 200;
    }
}

# ---------------------------------------------------------------- memory

# KiB of side x's workers: VmRSS, or (pss) PSS, a shared page once
sub workers_kb {
    my ($x, $pss) = @_;
    my ($file, $field) = $pss ? ('smaps_rollup', 'Pss') : ('status', 'VmRSS');
    my $kb = 0;
    for my $pid ($x->_live_workers) {
        open my $fh, '<', "/proc/$pid/$file" or next;
        while (<$fh>) { $kb += $1 if /^$field:\s+(\d+)/ }
    }
    return $kb;
}
sub rss_kb { workers_kb($_[0]) }
sub pss_kb { workers_kb($_[0], 1) }

sub used_memory {
    my $info = $t->redis_cmd_ok('INFO', 'memory');
    return $info =~ /^used_memory:(\d+)/m ? $1 : die "INFO: $info\n";
}

# (RSS KiB, used_memory) once neither moved by more than about 1% of
# what the streams cost (64 KB at least for Redis) over a second, twice
# half a second apart (at most 30 s): what the run before left to Redis
# (hang-ups, the router's work) is done by then.
sub settled {
    my ($x, $count) = @_;
    # Redis moves by some 40 KB on its own (the router's rounds)
    my $slack = $count * 4 < 65536 ? 65536 : $count * 4;
    my @last = (rss_kb($x), used_memory());
    my ($still, $deadline) = (0, time + 30);
    while ($still < 2 && time < $deadline) {
        sleep 0.5;
        my @now = (rss_kb($x), used_memory());
        $still = abs($now[0] - $last[0]) < $count * 0.01
            && abs($now[1] - $last[1]) < $slack ? $still + 1 : 0;
        @last = @now;
    }
    return @last;
}

# What our side's Redis holds for the calls (@calls) and their streams,
# part by part, to tell apart what a stream adds: INFO memory's dataset
# (keys, and the server's channel dict) and normal clients (buffers, each
# client's own channel dict), the calls' connections zsets (MEMORY USAGE),
# and per client of CLIENT LIST its channels and memory.
sub redis_parts {
    my (@calls) = @_;
    my %p = $t->redis_cmd_ok('INFO', 'memory') =~ /^(\w+):(\d+)\r?$/mg;
    @p{qw(conns call)} = (0, 0);
    for (@calls) {
        $p{conns} += $t->redis_cmd('MEMORY', 'USAGE',
            "cc:call:$_->{call}:conns") // 0;
        $p{call} += $t->redis_cmd('MEMORY', 'USAGE', "cc:call:$_->{call}")
            // 0;
    }
    $p{leaving} = $t->redis_cmd('MEMORY', 'USAGE', 'cc:callers:leaving') // 0;
    for (split /\r?\n/, $t->redis_cmd_ok('CLIENT', 'LIST')) {
        my %f = /(\S+)=(\S*)/g;
        $p{client}{ $f{id} } = \%f;
    }
    my ($ch) = $t->redis_cmd_ok('PUBSUB', 'CHANNELS', 'cc:call:*');
    $p{channel} = ref $ch ? $ch->[0] : undef;
    return \%p;
}

# jemalloc's size class of an allocation of n bytes (at most 512)
sub jsize {
    my ($n) = @_;
    return $n <= 8 ? 8 : $n <= 16 ? 16 : $n <= 128 ? 16 * ceil($n / 16)
        : $n <= 256 ? 32 * ceil($n / 32) : 64 * ceil($n / 64);
}

# The breakdown of what count streams added between parts $a and $b,
# measured, then what Redis 7.0 allocates for a channel with one
# subscriber (the name's embedded string object, the server's dict entry,
# list and list node, the client's dict entry, both dicts' buckets).
sub redis_breakdown {
    my ($a, $b, $count) = @_;
    my $per = sub { ($b->{ $_[0] } - $a->{ $_[0] }) / $count };
    my ($subs, $chans, $buckets) = (0, 0, 0);
    my $slots = sub { my $n = shift; my $s = 4; $s *= 2 while $s < $n; $s };
    my @links;
    for my $id (sort keys %{ $b->{client} }) {
        my ($x, $y) = ($a->{client}{$id}, $b->{client}{$id});
        next unless $x && $y->{sub} > $x->{sub};
        push @links, sprintf "client %d: %d -> %d channels, tot-mem %+d B, "
            . "qbuf %d+%d free, omem %d", $id, $x->{sub}, $y->{sub},
            $y->{'tot-mem'} - $x->{'tot-mem'}, $y->{qbuf}, $y->{'qbuf-free'},
            $y->{omem};
        $chans += $y->{sub};
        $buckets += 8 * ($slots->($y->{sub}) - $slots->($x->{sub}));
    }
    my $all = 0;
    $all += $_->{sub} for values %{ $b->{client} };
    my $all0 = 0;
    $all0 += $_->{sub} for values %{ $a->{client} };
    $buckets += 8 * ($slots->($all) - $slots->($all0));
    my $len = length($b->{channel} // '');
    my %model = (name => jsize(16 + 3 + $len + 1), entries => 2 * 32,
        list => jsize(48) + jsize(24), buckets => $buckets / $count);
    my $model = 0;
    $model += $_ for values %model;
    note(sprintf "  Redis per stream: used_memory %+.1f B = dataset %+.1f "
        . "(of it the connections zsets %+.1f, the calls' hashes %+.1f, "
        . "cc:callers:leaving %+.1f, the functions' Lua %+.1f, the rest: "
        . "the server's channels) + normal clients %+.1f + other overhead "
        . "%+.1f", $per->('used_memory'), $per->('used_memory_dataset'),
        $per->('conns'), $per->('call'), $per->('leaving'),
        $per->('used_memory_vm_functions'), $per->('mem_clients_normal'),
        $per->('used_memory_overhead') - $per->('mem_clients_normal'));
    note("  $_") for @links;
    # a caller stream rides on its worker's channel, unless a library
    # before worker channels is loaded
    note(defined $b->{channel} ? sprintf("  a channel of %d characters (%s) "
        . "with one subscriber, by jemalloc's classes: %d B = name object %d "
        . "+ 2 dict entries %d + clients list and node %d + dict buckets "
        . "%.1f", $len, $b->{channel}, $model, @model{qw(name entries list
        buckets)}) : '  no caller stream\'s channel subscribed');
}

# CPU seconds (user + system) the processes used so far
sub cpu {
    my $ticks = 0;
    for my $pid (@_) {
        my $stat = CCTest::_read_file("/proc/$pid/stat");
        $ticks += $1 + $2 if $stat =~ /^\d+ \(.*?\) (?:\S+ ){11}(\d+) (\d+)/;
    }
    return $ticks / POSIX::sysconf(POSIX::_SC_CLK_TCK());
}

# CPU used since the last call by side x's nginx workers, redis-server and
# the router: {nginx, redis, router} in seconds.  (Redis INFO commandstats
# counts a script's commands twice, in the script's time and their own.)
my %CPU_AT;
sub cpu_since {
    my ($x) = @_;
    my %now = (nginx => cpu($x->_live_workers), redis => cpu($t->{redis_pid}),
        router => cpu(map { $_->{pid} } @{ $t->{routers} }));
    my $last = $CPU_AT{$x} // {};
    $CPU_AT{$x} = \%now;
    return { map { ($_ => $now{$_} - ($last->{$_} // 0)) } keys %now };
}

# The commands of the most Redis time since the last call (INFO
# commandstats, then CONFIG RESETSTAT), per one of count: "fcall 1.00 x
# 41.6 us, ..." (a script's commands are counted in its time too); with
# no most, only the reset.
sub top_commands {
    my ($count, $most) = @_;
    my $info = $t->redis_cmd_ok('INFO', 'commandstats');
    $t->redis_cmd_ok('CONFIG', 'RESETSTAT');
    return '' unless $most;
    my @rows = sort { $b->[2] <=> $a->[2] } map {
        /^cmdstat_(\S+):calls=(\d+),usec=(\d+)/ ? [$1, $2, $3] : () }
        split /\r?\n/, $info;
    $count ||= 1;
    return join ', ', map { sprintf '%s %.2f x %.1f us', $_->[0],
        $_->[1] / $count, $_->[2] / $_->[1] } grep { $_->[1] }
        @rows[0 .. ($#rows < $most - 1 ? $#rows : $most - 1)];
}

# ---------------------------------------------------------------- figures

my %fig;
sub note { print "$_[0]\n" }

# A relay plan run on side x (ours $t, Nchan $n): cc-load's report, with
# the CPU and the Redis commands of the publishing (not of the set-up).
sub relay_run {
    my ($p, $x) = @_;
    cpu_since($x);
    top_commands();
    my $rep = $p->run(messages => $o{messages},
        publishers => $o{publishers}, timeout => $o{timeout},
        connect_rate => $o{'connect-rate'});
    $rep->{cpu} = cpu_since($x);
    $rep->{top} = top_commands($rep->{accepted}, 4);
    return $rep;
}

# relay, ours: live calls, their caller and agent streams in cc-load
sub relay_ours {
    my ($r) = @_;
    my @calls = create_calls('relay', $o{calls});
    my %call = map { ($_->{call} => $_) } @calls;
    touch_caller($_) for @calls;
    my %stream = map { ($_->{id} => $t->agent_online($_->{id})) } @agents;
    my %agent_of_stream = map { ("$stream{$_}" => $_) } keys %stream;
    my %holder;
    my $deadline = time + 120;
    while (keys %holder < @calls) {
        my @got = Bench::events($deadline, values %stream)
            or die "relay: " . keys(%holder) . " of " . @calls
                . " calls accepted in 120 s\n";
        for (@got) {
            my ($s, $ev) = @$_;
            next unless $ev->{event} eq 'offer';
            my $id = $ev->{json}{call};
            next unless $call{$id} && !$holder{$id};
            my $a = $agent_of_stream{"$s"};
            my ($st) = ka($t->port, 'POST', "/agent/calls/$id/accept", '',
                "X-Agent: $a", 'Content-Type: application/json');
            $holder{$id} = $a if $st == 200;
        }
    }
    $_->close for values %stream;

    my $p = CCLoad->new("$dir/relay-ours-$r");
    my $addr = $side{ours}{addr};
    $p->stream($_, $addr, '/agent/events', "X-Agent: $_")
        for sort values %{ { map { ($_ => $_) } values %holder } };
    for my $i (0 .. $#calls) {
        my $c = $calls[$i];
        my $a = $holder{ $c->{call} };
        $p->stream("c$i", $addr, caller_path($c));
        if ($i % 2) {
            $p->target($addr, 'POST', "/agent/calls/$c->{call}/messages",
                ["X-Agent: $a", 'Content-Type: application/json'], $CHAT,
                "c$i", $a);
        } else {
            $p->target($addr, 'POST',
                "/call/$c->{call}/messages?token=$c->{token}",
                ['Content-Type: application/json'], $CHAT, "c$i", $a);
        }
    }
    my $rep = relay_run($p, $t);
    for my $c (@calls) {
        my ($st) = ka($t->port, 'POST', "/agent/calls/$c->{call}/end", '',
            "X-Agent: $holder{ $c->{call} }",
            'Content-Type: application/json');
        warn "end: $st\n" unless $st == 200;
    }
    return $rep;
}

# relay, Nchan: a channel per stream, fresh ones each run; side nchan2:
# two subscribers a channel, the deliveries of ours
sub relay_nchan {
    my ($r, $side) = @_;
    my $p = CCLoad->new("$dir/relay-$side-$r");
    my $addr = $side{nchan}{addr};
    my @subs = $side eq 'nchan2' ? ('x', 'y') : ('');
    for my $i (0 .. $o{calls} - 1) {
        my $ch = "${side}r${r}s$i";
        $p->stream("s$i$_", $addr, "/nchan/sub/$ch",
            'Accept: text/event-stream') for @subs;
        $p->target($addr, 'POST', "/nchan/pub/$ch",
            ['Content-Type: application/json'], $CHAT,
            map { "s$i$_" } @subs);
    }
    my $rep = relay_run($p, $n);
    drop_nchan_keys();
    return $rep;
}

sub relay {
    for my $r (1 .. $o{runs}) {
        # three sides: each goes first once in three runs
        my @sides = qw(ours nchan nchan2);
        push @sides, splice(@sides, 0, ($r - 1) % 3);
        for my $side (@sides) {
            my $rep = $side eq 'ours' ? relay_ours($r)
                : relay_nchan($r, $side);
            my %us = map { ($_ => 1e6 * $rep->{cpu}{$_}
                / ($rep->{accepted} || 1)) } keys %{ $rep->{cpu} };
            note(sprintf "relay run %d %-6s: %d streams (%d reconnected), "
                . "%d published, %d accepted (%.0f/s), %d of %d delivered, "
                . "%d lost, %d duplicated, p50 %.2f ms, p90 %.2f ms, p99 "
                . "%.2f ms, max %.2f ms; CPU a message: nginx workers %.1f "
                . "us, redis-server %.1f us, router %.1f us; Redis a "
                . "message: %s", $r, $side, map({ $_ // 0 } @$rep{qw(opened
                reconnected published accepted accepted_per_second delivered
                expected lost duplicated p50_ms p90_ms p99_ms max_ms)}),
                @us{qw(nginx redis router)}, $rep->{top});
            push @{ $fig{relay_redis}{$side} }, $us{redis};
            push @{ $fig{relay_nginx}{$side} }, $us{nginx};
            push @{ $fig{relay_p50}{$side} }, $rep->{p50_ms};
            push @{ $fig{relay_p99}{$side} }, $rep->{p99_ms};
            push @{ $fig{relay_rate}{$side} }, $rep->{accepted_per_second};
            push @{ $fig{relay_lost}{$side} },
                $rep->{lost} + $rep->{duplicated};
        }
    }
}

sub memory {
    my $count = $o{streams};
    for my $r (1 .. $o{runs}) {
        for my $side (order($r)) {
            my $x = $side{$side}{t};
            restart($x);
            my $p = CCLoad->new("$dir/memory-$side-$r");
            my $addr = $side{$side}{addr};
            my (@calls, $made);
            my $mem = used_memory();
            # the calls or channels exist before the baseline: the figure
            # is what holding a stream open adds; what making them live
            # costs is printed apart
            if ($side eq 'ours') {
                @calls = create_calls('idle', $count);
                $mem = used_memory();
                touch_caller($_) for @calls;
                $p->stream("c$_", $addr, caller_path($calls[$_]))
                    for 0 .. $#calls;
            } else {
                for my $i (0 .. $count - 1) {
                    my ($st) = ka($x->port, 'POST', "/nchan/pub/m${r}s$i",
                        '{"type":"chat","text":"hello"}',
                        'Content-Type: application/json');
                    die "nchan publish: $st\n" unless $st =~ /^20[12]$/;
                    $p->stream("s$i", $addr, "/nchan/sub/m${r}s$i",
                        'Accept: text/event-stream');
                }
            }
            my ($rss0, $mem0) = settled($x, $count);
            my $parts0 = $side eq 'ours' ? redis_parts(@calls) : undef;
            my $pss0 = pss_kb($x);
            $made = ($mem0 - $mem) / $count;
            $p->start_idle(connect_rate => $o{'connect-rate'});
            my ($rss1, $mem1) = settled($x, $count);
            my $pss = (pss_kb($x) - $pss0) / $count;
            my $parts1 = $parts0 ? redis_parts(@calls) : undef;
            $p->stop;
            hang_up(@calls);
            drop_nchan_keys() if $side eq 'nchan';
            my ($kib, $bytes) = (($rss1 - $rss0) / $count,
                ($mem1 - $mem0) / $count);
            note(sprintf "memory run %d %-5s: %d idle streams: workers' RSS "
                . "%+d KiB (%.2f KiB a stream; PSS %.2f), Redis used_memory "
                . "%+d B (%.0f B a stream); before them, %s: %.0f B each",
                $r, $side, $count, $rss1 - $rss0, $kib, $pss, $mem1 - $mem0,
                $bytes, $side eq 'ours'
                    ? "a call's first stream (the call enters its queue)"
                    : 'a channel made with one message', $made);
            redis_breakdown($parts0, $parts1, $count) if $parts0;
            push @{ $fig{nginx_mem}{$side} }, $kib;
            push @{ $fig{redis_mem}{$side} }, $bytes;
            push @{ $fig{redis_live}{$side} }, $made;
        }
    }
}

# wrk against path of our nginx: requests/s and the answers not 2xx
sub wrk {
    my ($path) = @_;
    my $lua = CCTest::_write_file("$dir/post.lua", <<'EOF');
wrk.method = "POST"
wrk.body = '{"queue":"intake","name":"Bench","page":"https://shop.example/"}'
wrk.headers["Content-Type"] = "application/json"
EOF
    my $url = 'http://127.0.0.1:' . $t->port . $path;
    my $cmd = "wrk -t2 -c$o{connections} -d$o{'intake-seconds'}s -s '$lua'"
        . " '$url' 2>&1";
    my $out = `$cmd`;
    die "wrk: $out\n" unless $out =~ m{^Requests/sec:\s+([\d.]+)}m;
    my $rate = $1;
    my $bad = $out =~ /Non-2xx or 3xx responses:\s+(\d+)/ ? $1 : 0;
    my $total = $out =~ /(\d+) requests in/ ? $1 : 1;
    return ($rate, $bad, $total);
}

sub intake {
    for my $r (1 .. $o{runs}) {
        for my $side (order($r)) {
            # (the reference is the return 201 location of our nginx)
            my $ours = $side eq 'ours';
            cpu_since($t);
            top_commands();
            my ($rate, $bad, $total) = wrk($ours ? '/call' : '/created');
            my $c = cpu_since($t);
            my $top = top_commands($total, 3);
            my %us = map { ($_ => 1e6 * $c->{$_} / $total) } keys %$c;
            note(sprintf "intake run %d: %-10s %.0f requests/s, %d not 2xx; "
                . "CPU a request: nginx workers %.1f us, redis-server %.1f "
                . "us, router %.1f us; Redis a request: %s", $r,
                $ours ? 'POST /call' : 'return 201', $rate, $bad,
                @us{qw(nginx redis router)}, $top || '-');
            push @{ $fig{intake}{ $ours ? 'ours' : 'ref' } }, $rate;
        }
    }
}

# concurrent: plans for the two processes of side
sub concurrent_plans {
    my ($side) = @_;
    my $half = int($o{concurrent} / 2);
    my $addr = $side{$side}{addr};
    my (@plans, @calls);
    for my $k (0, 1) {
        my $p = CCLoad->new("$dir/concurrent-$side-$k");
        my $groups = ceil($half / $PER_CALL);
        my @mine = $side eq 'ours' ? create_calls('many', $groups) : ();
        push @calls, @mine;
        for my $g (0 .. $groups - 1) {
            my $size = $g < $groups - 1 ? $PER_CALL
                : $half - $PER_CALL * ($groups - 1);
            my @labels = map { "g${g}s$_" } 0 .. $size - 1;
            if ($side eq 'ours') {
                my $c = $mine[$g];
                $p->stream($_, $addr, caller_path($c)) for @labels;
                $p->target($addr, 'POST',
                    "/call/$c->{call}/messages?token=$c->{token}",
                    ['Content-Type: application/json'], $CHAT, @labels);
            } else {
                $p->stream($_, $addr, "/nchan/sub/c${k}g$g",
                    'Accept: text/event-stream') for @labels;
                $p->target($addr, 'POST', "/nchan/pub/c${k}g$g",
                    ['Content-Type: application/json'], $CHAT, @labels);
            }
        }
        push @plans, $p;
    }
    return (\@plans, \@calls);
}

sub concurrent {
    for my $side (order(1)) {
        my ($plans, $calls) = concurrent_plans($side);
        my ($delivered, $expected, $lost, $dup) = (0) x 4;
        for my $k (0, 1) {
            my ($idle, $busy) = @$plans[$k, 1 - $k];
            $idle->start_idle(connect_rate => $o{'connect-rate'});
            my $rep = $busy->run(messages => 1,
                publishers => $o{publishers}, timeout => $o{timeout},
                connect_rate => $o{'connect-rate'});
            $idle->stop;
            note(sprintf "concurrent %-5s: %d held by one cc-load, %d opened "
                . "by the other (%d failed, %d reconnected), %d of %d "
                . "delivered, %d lost, %d duplicated, p99 %.2f ms", $side,
                $idle->streams, map { $_ // 0 } @$rep{qw(opened failed
                reconnected delivered expected lost duplicated p99_ms)});
            $delivered += $rep->{delivered};
            $expected += $rep->{expected};
            $lost += $rep->{lost};
            $dup += $rep->{duplicated};
        }
        $fig{concurrent}{$side} = { delivered => $delivered,
            expected => $expected, lost => $lost, duplicated => $dup };
        hang_up(@$calls);
        drop_nchan_keys() if $side eq 'nchan';
    }
}

relay() if $only{relay};
memory() if $only{memory};
concurrent() if $only{concurrent};
intake() if $only{intake};      # last: its calls stay in Redis

# ---------------------------------------------------------------- table

# A row: the medians of ours and of each reference (side names), the
# references' cells joined by " / "
sub row {
    my ($name, $key, $fmt, @refs) = @_;
    my $f = $fig{$key} or return;
    @refs = ('nchan') unless @refs;
    my $a = median(@{ $f->{ours} });
    my @b = map { median(@{ $f->{$_} }) } @refs;
    printf "| %s | %s | %s | %s |\n", $name, sprintf($fmt, $a),
        join(' / ', map { sprintf $fmt, $_ } @b),
        join(' / ', map { $_ ? sprintf('%.2f×', $a / $_) : '-' } @b);
}

my @two = qw(nchan nchan2);
print "\nmedians of $o{runs} run(s), alternating; ratio = ours / reference; "
    . "relay: Nchan with 1 / 2 subscribers a channel\n\n";
print "| figure | ours | reference | ratio |\n|---|---|---|---|\n";
row("relay p50, $o{calls} calls × $o{messages} messages, $o{publishers} "
    . 'publishers (ms)', 'relay_p50', '%.2f', @two);
row('relay p99 (ms)', 'relay_p99', '%.2f', @two);
row('relay messages accepted /s', 'relay_rate', '%.0f', @two);
row('relay CPU of redis-server a message (µs)', 'relay_redis', '%.1f', @two);
row('relay CPU of the nginx workers a message (µs)', 'relay_nginx', '%.1f',
    @two);
if (my $l = $fig{relay_lost}) {
    my $sum = sub { my $s = 0; $s += $_ for @{ $l->{ $_[0] } // [] }; $s };
    printf "| relay deliveries lost or duplicated, all runs | %d | %s | |\n",
        $sum->('ours'), join(' / ', map { $sum->($_) } @two);
}
row("nginx memory per idle stream, $o{streams} open (KiB)", 'nginx_mem',
    '%.2f');
row('Redis memory per idle stream (B)', 'redis_mem', '%.0f');
row("Redis memory before it: a call's first stream (it enters its queue) / "
    . 'a channel made with one message (B)', 'redis_live', '%.0f');
row("intake: POST /call /s against return 201, wrk $o{connections} "
    . 'connections', 'intake', '%.0f', 'ref');
if (my $c = $fig{concurrent}) {
    my @cell = map { my $x = $c->{$_};
        $x ? sprintf('%d / %d, %d lost, %d duplicated', @$x{qw(delivered
            expected lost duplicated)}) : '-' } qw(ours nchan);
    printf "| %d concurrent streams (2 cc-load): delivered / expected "
        . "| %s | %s | |\n", $o{concurrent}, @cell;
}

# The worker's mirror of the status figures (ngx_http_callcenter_status_
# mirror.c): a JSON answer asks only for what changed since the worker's
# last reply (cc_status json delta EPOCH VERSION) and answers the mirror,
# which must render what `cc_status json` says at that moment, after every
# kind of change, a new epoch (FLUSHALL), an older library (a rolling
# upgrade), with two workers and with a site; the status stream's feed
# shares it.  Last, a scripted cc_status of our version gives the mirror
# the replies the library gives only rarely (malformed, too large, a delta
# it cannot take) and checks the rendering byte for byte, time included.
use strict; use warnings; use Test::More;
use lib 't/lib'; use CCTest;
use File::Path qw(make_path);
use IO::Select;
use IO::Socket::INET;
use Time::HiRes qw(time);

my $t = CCTest->new;
$t->start_redis;
$t->load_functions;
my $v = $t->functions_version;
my $json = CCTest->json;

# the last library without cc_status json delta (a rolling upgrade meets
# it): its text, as our version
my $OLD_COMMIT = '368719fa65710efc61eb3cc7d20baf60c1770e43';

# ---------------------------------------------------------------- helpers

# the library's answer in the same Redis, for the site of anchor
sub library {
    my ($anchor) = @_;
    return $t->redis_cmd_ok('FCALL', "cc_status_$v", 1, $anchor // 'cc:',
        'json');
}

# what may differ between two answers a few ms apart
sub mask {
    my ($s) = @_;
    $s //= '';
    $s =~ s/^\{"time":\d+,/{"time":T,/;
    $s =~ s/"longest_wait":\d+,/"longest_wait":W,/g;
    return $s;
}

# the answer through nginx equals the library's (tried three times: the
# router may act between the two; a wrong mirror stays wrong)
sub same {
    my ($name, %o) = @_;
    my ($res, $lib);
    for my $try (1 .. 3) {
        ($res, $lib) = agree(%o);
        return pass($name) unless defined $res;
    }
    is($res->{status}, 200, "$name: 200");
    is(mask($res->{content}), mask($lib), $name);
    return 0;
}

# nothing when they agree, else the answer and the library's text
sub agree {
    my (%o) = @_;
    my $port = $o{port} // $t->port;
    my $res = $t->_ua->get("http://127.0.0.1:$port/callcenter/status");
    my $lib = library($o{anchor});
    return if $res->{status} == 200 && mask($res->{content}) eq mask($lib);
    return ($res, $lib);
}

# The cc_status calls Redis runs, by MONITOR: a marker command on another
# link closes what is read, so that every call before it is there.
package Monitor {
    sub new {
        my ($class, $port) = @_;
        my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
            PeerPort => $port, Proto => 'tcp', Timeout => 5) or die $!;
        print $s "MONITOR\r\n";
        my $ok = <$s>;
        die "MONITOR: $ok" unless $ok =~ /^\+OK/;
        return bless { s => $s, buf => '', n => 0 }, $class;
    }

    # [[client address, function, args...], ...] of cc_status since the
    # last call; every line read once, only those of fn parsed
    sub asks {
        my ($self, $t, $fn) = @_;
        my $marker = 'monitor-' . ++$self->{n};
        # the test's own link: not the module's
        my ($self_addr) = $t->redis_cmd('CLIENT', 'INFO') =~ /addr=(\S+)/;
        $t->redis_cmd('ECHO', $marker);
        my $sel = IO::Select->new($self->{s});
        my $deadline = Time::HiRes::time() + 10;
        my @asks;
        while (1) {
            pos($self->{buf}) = 0;
            while ($self->{buf} =~ /\G([^\n]*)\n/gc) {
                my $line = $1;
                if (index($line, qq{"ECHO" "$marker"}) >= 0) {
                    substr($self->{buf}, 0, pos($self->{buf}), '');
                    return \@asks;
                }
                next if index($line, qq{"$fn"}) < 0
                    || $line !~ /^\+[\d.]+ \[\d+ ([^\]]+)\] (.*)\r$/;
                my ($client, $cmd) = ($1, $2);
                my @args = map { s/\\(.)/$1/gr }
                    $cmd =~ /"((?:[^"\\]++|\\.)*+)"/g;
                push @asks, [$client, @args[1 .. $#args]]
                    if $args[0] =~ /^fcall$/i && $args[1] eq $fn
                    && $client ne $self_addr;
            }
            substr($self->{buf}, 0, pos($self->{buf}) // 0, '');
            die 'MONITOR: no marker' if Time::HiRes::time() > $deadline;
            next unless $sel->can_read(1);
            sysread($self->{s}, $self->{buf}, 1 << 20, length $self->{buf})
                or die 'MONITOR: closed';
        }
    }
}

my $mon = Monitor->new($t->redis_port);
sub asks { $mon->asks($t, "cc_status_$v") }

# an ask: [client, function, 1, ANCHOR, json, delta, EPOCH, VERSION];
# "EPOCH VERSION"
sub sent {
    my ($ask) = @_;
    return join ' ', map { $_ // 'none' } @$ask[6, 7];
}

# a decoded answer without what changes with time alone
sub figures {
    my ($s) = @_;
    my %f = %{ $s // {} };
    delete $f{time};
    for my $q (values %{ $f{queues} // {} }) {
        delete $q->{longest_wait};
    }
    return \%f;
}

# ---------------------------------------------------------------- changes

$t->write_agents([
    { id => 'alice', name => 'Alice', queues => ['sales'], capacity => 2 },
    { id => 'bob', name => 'Bob', queues => ['sales', 'support'],
        capacity => 1 },
    { id => 'carol', name => 'Carol', queues => ['support'], capacity => 1 },
]);
$t->write_queues({ sales => { service_level => 20 } });
my $router = $t->start_router;
$t->default_server;

asks();
same('no agent online');
my $a = asks();
is(scalar @$a, 1, 'one cc_status for the answer') or diag explain $a;
is_deeply([@{ $a->[0] }[2 .. 5]], [1, 'cc:', 'json', 'delta'],
    '... json delta, the anchor its key') or diag explain $a;
my $first = $a->[0];

my $head = $t->redis_cmd_ok('FCALL', "cc_status_$v", 1, 'cc:', 'json',
    'delta', '', 0);
same('unchanged');
$a = asks();
is(sent($a->[0]), "$head->[1] $head->[2]",
    'the second answer asks from the epoch and version of the first');
my $unchanged = $t->redis_cmd_ok('FCALL', "cc_status_$v", 1, 'cc:', 'json',
    'delta', $head->[1], $head->[2]);
is(scalar @$unchanged, 4, '... where nothing changed: 4 elements')
    or diag explain $unchanged;

my $sa = $t->agent_online('alice');
same('alice available');
my $c1 = $t->create_call(queue => 'sales');
my $ev = $sa->wait_event('offer', timeout => 10);
same('a call offered to alice');
is($t->agent_http('alice', 'POST', "/agent/calls/$c1->{call}/accept")
    ->{status}, 200, 'alice accepts');
same('alice holds the call');
my $sb = $t->agent_online('bob');
is($t->agent_http('bob', 'POST', '/agent/status',
    body => '{"status":"away"}')->{status}, 200, 'bob away');
same('bob away');
my $c2 = $t->create_call(queue => 'support');
my $c3 = $t->create_call(queue => 'support');
same('two calls wait in support');
my $res = $t->http('GET', '/callcenter/status');
is($res->{json} && $res->{json}{queues}{support}{waiting}, 2,
    '... the answer says so');
$t->http('POST', "/call/$c3->{call}/hangup?token=$c3->{token}");
same('a caller hangs up');
is($t->agent_http('alice', 'POST', "/agent/calls/$c1->{call}/end")
    ->{status}, 200, 'alice ends her call');
same('the call ended');

# settings and profiles change: a queue's figures and an agent gone
$t->write_queues({ sales => { service_level => 45 },
    support => { strategy => 'round-robin' } });
$t->write_agents([
    { id => 'alice', name => 'Alice A.', queues => ['sales'], capacity => 2 },
    { id => 'bob', name => 'Bob', queues => ['sales', 'support'],
        capacity => 1 },
    { id => 'dave', name => 'Dave', queues => ['support'], capacity => 1 },
]);
$t->hup_router($router);
ok($t->wait_for(sub { my $l = library();
    $l =~ /"dave"/ && $l !~ /"carol"/ && $l =~ /"service_level_seconds":45/ },
    timeout => 10), 'the router loads the new files');
same('new settings, carol gone, dave there');
$res = $t->http('GET', '/callcenter/status');
ok($res->{json} && !exists $res->{json}{agents}{carol}
    && $res->{json}{agents}{alice}{name} eq 'Alice A.',
    '... the answer has the new names, not carol');

# ---------------------------------------------------------------- the feed

# a worker with a status stream: the feed asks with delta too, and the
# JSON answers of the worker share its mirror
asks();
my $s = $t->sse('/callcenter/status');
$ev = $s->next_event(timeout => 5);
is($ev && $ev->{event}, 'status', 'a status stream: an event at once');
is_deeply(figures($ev && $ev->{json}), figures($json->decode(library())),
    '... the library\'s figures');
$t->until_redis($t->redis_ms + 2500);
$a = asks();
ok(@$a >= 2 && !grep({ $_->[4] ne 'json' || $_->[5] ne 'delta' } @$a),
    'the feed asks once a second, json delta (' . @$a . ' asks)');
my @versions = map { $_->[7] } @$a;
ok(!grep({ $versions[$_] < $versions[$_ - 1] } 1 .. $#versions),
    '... from a version that never goes down') or diag "@versions";
my $sc = $t->agent_online('dave');
$ev = $s->wait_event('status', timeout => 10,
    match => sub { ($_[0]{json}{agents}{dave}{status} // '') eq 'available'
    });
ok($ev, 'dave goes available: a status event');
same('... and the answer of the worker of the feed');

$_->close for $s, $sa, $sb, $sc;
$c2->{stream}->close;

# ---------------------------------------------------------------- epoch

$t->redis_cmd_ok('FLUSHALL');
$t->redis_cmd_ok('FUNCTION', 'FLUSH');
$t->load_functions;
$t->hup_router($router);
ok($t->wait_for(sub { library() =~ /"dave"/ }, timeout => 10),
    'FLUSHALL: the router loads its files again');
asks();
same('a new epoch: the answer is right');
$a = asks();
my $again = $t->redis_cmd_ok('FCALL', "cc_status_$v", 1, 'cc:', 'json',
    'delta', '', 0);
isnt($again->[1], $head->[1], '... the library has a new epoch');
my $c4 = $t->create_call(queue => 'sales');
same('... and after a change');
$c4->{stream}->close;

# ---------------------------------------------------------------- upgrade

# the older library's text and version ('' when git history is missing)
my @older;
sub older_library {
    return @older if @older;
    my $dir = $t->testdir . '/old';
    make_path($dir);
    system("git -C '" . CCTest->root . "' archive $OLD_COMMIT common"
        . " | tar -x -C '$dir' 2>/dev/null");
    my $old = -f "$dir/common/callcenter.lua"
        ? `sh '$dir/common/embed.sh' --lua '$dir/common/callcenter.lua'`
        : '';
    @older = $old =~ /^#!lua name=callcenter_([0-9a-f]{12})\n/
        ? ($old, $1) : ('', '');
    return @older;
}

SKIP: {
    my ($old, $old_v) = older_library();
    skip 'no git history: the older library is not at hand', 8
        unless $old_v;
    isnt($old_v, $v, 'the older library is another text');
    $old =~ s/\Q$old_v\E/$v/g;
    is($t->redis_cmd('FUNCTION', 'LOAD', 'REPLACE', $old), "callcenter_$v",
        'the older library under our name');
    my $text = $t->redis_cmd_ok('FCALL', "cc_status_$v", 1, 'cc:', 'json',
        'delta', '', 0);
    ok(!ref $text && $text =~ /^\{"time":/,
        '... answers cc_status json delta with its text');
    same('the older library: the answer is its text');
    my $c5 = $t->create_call(queue => 'support');
    same('... after a change too');
    asks();
    same('... and again');
    $a = asks();
    is(sent($a->[0]), ' 0', '... asked with no mirror: it holds none');
    # the upgrade done: ours again, all of it at once
    is($t->redis_cmd('FUNCTION', 'LOAD', 'REPLACE', $t->functions_lua),
        "callcenter_$v", 'our library again');
    # a new Lua VM: a new epoch, every record made again
    same('ours again: the answer is right at once');
    $c5->{stream}->close;
}

# the older library loaded beside ours (old nodes in a rolling upgrade):
# it marks no queue, so while FUNCTION LIST shows it the module asks for
# the whole answer in parts, which reads every queue
SKIP: {
    my ($old, $old_v) = older_library();
    skip 'no git history: the older library is not at hand', 4
        unless $old_v;
    is($t->redis_cmd('FUNCTION', 'LOAD', $old), "callcenter_$old_v",
        'the older library beside ours');
    same('... the answer is right');
    my $lists = sub {
        my $info = $t->redis_cmd('INFO', 'commandstats');
        return $info =~ /^cmdstat_function\|list:calls=(\d+)/m ? $1 : 0;
    };
    my $seen = $lists->();
    # two looks of the worker's at the libraries: it has seen the older one
    $t->wait_for(sub { $lists->() >= $seen + 2 });
    ok(ref $t->redis_cmd_ok('FCALL', "cc_call_create_$old_v", 0, 'old1',
        'tok', 'sales', '{}', '[]', 60000, '', '')
        && $t->redis_cmd_ok('FCALL', "cc_caller_open_$old_v", 0, 'old1',
        'tok', 'c1', 600000, 0),
        'the older library puts a call in a queue');
    same('... the answer shows it');
    $t->redis_cmd('FUNCTION', 'DELETE', "callcenter_$old_v");
}

# ---------------------------------------------------------------- two workers

$t->stop_nginx;
my $port2 = CCTest::free_port();
$t->default_server(workers => 2, http => <<"EOF");
server {
        listen 127.0.0.1:$port2 reuseport;
        location = /callcenter/status { callcenter_status; }
    }
EOF
asks();
for my $i (1 .. 6) {
    my $c = $t->create_call(queue => $i % 2 ? 'sales' : 'support');
    $c->{stream}->close if $i % 3 == 0;
    for (1 .. 3) {
        same("two workers, change $i", port => $port2) or last;
    }
}
$a = asks();
my %clients = map { $_->[0] => 1 } grep { $_->[5] eq 'delta' } @$a;
is(scalar keys %clients, 2,
    'two workers: each asks for the changes with its own mirror')
    or diag explain [keys %clients];
ok(!grep({ $_->[4] ne 'json' || $_->[5] ne 'delta' } @$a),
    '... every JSON answer a json delta (' . @$a . ' asks)');
my %seen;
my $each = !grep { my $c = $_->[0]; my $n = !$seen{$c}++;
    !$n && $_->[6] eq '' } @$a;
ok($each, '... from their last reply after their first');

# answers at once, many asks of a worker on their way together (from the
# same version): each reply applied as it comes, changes in between
my @bad;
for my $round (1 .. 5) {
    my @socks = map { IO::Socket::INET->new(PeerAddr => '127.0.0.1',
        PeerPort => $port2, Proto => 'tcp', Timeout => 5) or die $! } 1 .. 10;
    print $_ "GET /callcenter/status HTTP/1.0\r\nHost: x\r\n\r\n"
        for @socks;
    my $c = $t->create_call(queue => 'sales');
    for my $sock (@socks) {
        local $/;
        my $raw = <$sock> // '';
        my ($body) = $raw =~ m{^HTTP/1\.[01] 200 .*?\r\n\r\n(.*)\z}s;
        push @bad, $raw unless defined $body
            && CCTest::decode_json_maybe($body);
    }
    $c->{stream}->close if $round % 2;
}
is(scalar @bad, 0, 'answers asked together: 200 and JSON each')
    or diag $bad[0];
for (1 .. 4) {
    same('... and right after', port => $port2) or last;
}

# ---------------------------------------------------------------- a site

$t->stop_nginx;
$t->write_agents([
    { id => 'erin', name => 'Erin', queues => ['site_q'], capacity => 1 },
], $t->testdir . '/site-agents.json');
my $site_router = do {
    local $t->{agents_file} = $t->testdir . '/site-agents.json';
    local $t->{queues_file};
    $t->start_router('--site', 's1');
};
$t->default_server(http => 'callcenter_site s1;');
asks();
same('a site: the answer is the site\'s', anchor => 'cc:{s1}');
$res = $t->http('GET', '/callcenter/status');
ok($res->{json} && $res->{json}{agents}{erin}
    && !$res->{json}{agents}{alice}, '... erin, not the other site\'s alice');
my $se = $t->agent_online('erin');
same('a site: erin available', anchor => 'cc:{s1}');
$a = asks();
ok(@$a && !grep({ $_->[3] ne 'cc:{s1}' } @$a),
    '... asked with the site\'s anchor');
$se->close;
$t->stop_router($site_router);

# ---------------------------------------------------------------- scripted

# cc_status of our version answers what the test pushed (JSON, or \'ERR:...',
# \'MANY:N' for N agents, \'SLOW:MS' a delta after MS), and keeps what it
# was asked
$t->stop_nginx;
$t->stop_router($router);
$t->redis_cmd_ok('FLUSHALL');
is($t->redis_cmd('FUNCTION', 'LOAD', 'REPLACE', <<"EOF"), "callcenter_$v",
#!lua name=callcenter_$v
redis.register_function('cc_status_$v', function(keys, args)
    redis.call('RPUSH', 'scripted:asked', cjson.encode(args))
    local r = redis.call('LPOP', 'scripted:replies')
    if not r then
        return redis.error_reply('nothing scripted')
    end
    local err = r:match('^ERR:(.*)')
    if err then
        return redis.error_reply(err)
    end
    local slow = tonumber(r:match('^SLOW:(%d+)'))
    if slow then
        local t = redis.call('TIME')
        local till = t[1] * 1000000 + t[2] + slow * 1000
        repeat
            t = redis.call('TIME')
        until t[1] * 1000000 + t[2] >= till
        return {'delta', 'e5', 2, 9000}
    end
    local many = tonumber(r:match('^MANY:(%d+)'))
    if many then
        local out = {'full', 'e3', 1, 1}
        for i = 1, many do
            out[#out + 1] = 'a' .. i
            out[#out + 1] = '"' .. i .. '":1'
        end
        return out
    end
    return cjson.decode(r)
end)
EOF
    'a scripted cc_status of our version');
$t->default_server;

sub scripted {
    for my $reply (@_) {
        $t->redis_cmd_ok('RPUSH', 'scripted:replies',
            ref $reply eq 'SCALAR' ? $$reply : $json->encode($reply));
    }
    my $res = $t->http('GET', '/callcenter/status');
    return $res;
}
sub asked {
    my $list = $t->redis_cmd_ok('LRANGE', 'scripted:asked', 0, -1);
    $t->redis_cmd_ok('DEL', 'scripted:asked');
    return [map { join ' ', @{ $json->decode($_) }[2, 3] } @$list];
}
my $tab = "\t";
my $q_sales = qq{"sales":{"waiting":1,"longest_wait":${tab}997500$tab,"n":2}};
my $q_a = qq{"a":{"longest_wait":$tab$tab}};

$res = scripted(['full', 'e1', 3, 1000000, 'aalice', '"alice":{"x":1}',
    'qsales', $q_sales, 'abob', '"bob":{"x":2}', 'qa', $q_a,
    'qlater', qq{"later":{"longest_wait":${tab}1000001$tab}}]);
is($res->{content}, '{"time":1000000,"queues":{"a":{"longest_wait":0},'
    . '"later":{"longest_wait":0},"sales":{"waiting":1,"longest_wait":2,'
    . '"n":2}},"agents":{"alice":{"x":1},"bob":{"x":2}}}',
    'full: the records in byte order, longest_wait from the reply\'s time');
is_deeply(asked(), [' 0'], '... asked with no mirror');
$res = scripted(['delta', 'e1', 5, 1002999, 'abob', '', 'acarol',
    '"carol":{}', 'aalice', '"alice":{"x":3}', 'qnone', '']);
is($res->{content}, '{"time":1002999,"queues":{"a":{"longest_wait":0},'
    . '"later":{"longest_wait":2},"sales":{"waiting":1,"longest_wait":5,'
    . '"n":2}},"agents":{"alice":{"x":3},"carol":{}}}',
    'delta: replaced, added, removed');
is_deeply(asked(), ['e1 3'], '... asked from the last reply');
$res = scripted(['delta', 'e1', 5, 1003000]);
is($res->{content}, '{"time":1003000,"queues":{"a":{"longest_wait":0},'
    . '"later":{"longest_wait":2},"sales":{"waiting":1,"longest_wait":5,'
    . '"n":2}},"agents":{"alice":{"x":3},"carol":{}}}',
    'no change: the same figures at the reply\'s time');
is_deeply(asked(), ['e1 5'], '... asked from the last reply');

$res = scripted(['delta', 'e1', 6, 1004000, 'abig', 'x' x 70000]);
is($res->{status}, 503, 'a record beyond 64 KiB: an error');
$res = scripted(['full', 'e2', 1, 5000, 'az', '"z":1']);
is($res->{content}, '{"time":5000,"queues":{},"agents":{"z":1}}',
    '... then a full reply replaces everything');
is_deeply(asked(), ['e1 5', ' 0'], '... asked for with no mirror');

$res = scripted(['delta', 'e9', 2, 6000], ['full', 'e9', 2, 6000, 'ay',
    '"y":2']);
is($res->{content}, '{"time":6000,"queues":{},"agents":{"y":2}}',
    'a delta of another epoch: asked again for all of it');
is_deeply(asked(), ['e2 1', ' 0'], '... from no mirror');

for my $bad (['delta', 'E!', 1, 1], ['full', 'e1', '1', 1],
    ['full', 'e1', 1, 1, 'aonly'], ['full', 'e1', 1, 1, 'xkind', '1'],
    ['full', 'e1', 1, 1, 'qq', 'no tabs'],
    ['full', 'e1', 1, 1, 'qq', "a${tab}12x${tab}b"])
{
    $res = scripted($bad);
    is($res->{status}, 503, 'malformed: 503 (' . $json->encode($bad) . ')');
}
$res = scripted(['full', 'e4', 1, 7000]);
is($res->{content}, '{"time":7000,"queues":{},"agents":{}}',
    '... and right again after');
is_deeply([@{ asked() }[-1]], [' 0'], '... asked for with no mirror');

$res = scripted('{"time":1,"queues":{},"agents":{}}');
is($res->{content}, '{"time":1,"queues":{},"agents":{}}',
    'an older library\'s text: answered as it is');
$res = scripted(['{"time":2', ',"queues":{},"agents":{}}']);
is($res->{content}, '{"time":2,"queues":{},"agents":{}}',
    '... its parts joined');
is_deeply(asked(), ['e4 1', ' 0'], '... and the mirror dropped');
$res = scripted(\'ERR:BADREQ nope');
is($res->{status}, 400, 'an error reply: as before');
$res = scripted([]);
is($res->{status}, 503, 'an empty reply: 503');

$res = scripted(\'MANY:100000');
is($res->{status}, 200, '100,000 records: answered');
is(scalar keys %{ $res->{json}{agents} // {} }, 100000, '... all of them');
$res = scripted(\'MANY:100001');
is($res->{status}, 503, '100,001 records: an error');
is_deeply([@{ asked() }[-1]], ['e3 1'], '... asked from the last');
$res = scripted(['full', 'e5', 1, 8000, 'aw', '"w":1']);
is($res->{content}, '{"time":8000,"queues":{},"agents":{"w":1}}',
    '... then right again');
is_deeply(asked(), [' 0'], '... from no mirror');

# the link lost on the way: the Redis found again may have another history
$t->stop_nginx;
$t->default_server(http => 'callcenter_redis_timeout 300ms;');
$res = scripted(['full', 'e6', 1, 9000, 'av', '"v":1']);
is($res->{content}, '{"time":9000,"queues":{},"agents":{"v":1}}',
    'a full reply');
$res = scripted(\'SLOW:600');
is($res->{status}, 503, 'Redis late: 503');
$t->redis_cmd_ok('RPUSH', 'scripted:replies', $json->encode(['full', 'e6',
    2, 10000, 'au', '"u":1']));
ok($t->wait_for(sub {
    $t->http('GET', '/callcenter/status')->{status} == 200 }, timeout => 10),
    '... then 200 again');
is_deeply(asked(), [' 0', 'e6 1', ' 0'], '... asked for with no mirror');

# the feed: the same mirror, its events the rendering, none when only the
# time changed
asked();
$t->redis_cmd_ok('RPUSH', 'scripted:replies', map { $json->encode($_) }
    ['full', 'e7', 1, 20000, 'as', '"s":1'], ['delta', 'e7', 1, 21000],
    ['delta', 'e7', 2, 22000, 'as', '"s":2']);
my $st = $t->sse('/callcenter/status');
$ev = $st->next_event(timeout => 5);
is($ev && $ev->{data}, '{"time":20000,"queues":{},"agents":{"s":1}}',
    'a status stream: the mirror\'s rendering');
$ev = $st->next_event(timeout => 5);
is($ev && $ev->{data}, '{"time":22000,"queues":{},"agents":{"s":2}}',
    '... then the next change, none for the time alone');
$st->close;
is_deeply([@{ asked() }[0 .. 2]], ['e6 2', 'e7 1', 'e7 1'],
    '... each ask from the last reply');

done_testing;

# What the module sends with each message and each new call (the function
# library enforces it, see t/message_limits.t): the message's kind (typing
# is live, the rest kept), callcenter_message_rate (x 1000) and its burst,
# callcenter_call_budget, and callcenter_caller_grace to cc_call_create; the
# directives' syntax, defaults and inheritance.  Read off Redis MONITOR.
use strict; use warnings; use Test::More;
use lib 't/lib'; use CCTest;
use IO::Socket::INET;
use IO::Select;
use Time::HiRes qw(time);

my $t = CCTest->new;
$t->start_redis;
$t->load_functions;
$t->load_agents([{ id => 'alice', queues => ['default', 'sales'] }]);

# MONITOR on its own connection: the FCALLs as Redis received them
my $mon = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
    PeerPort => $t->redis_port, Proto => 'tcp') or die "monitor: $!";
syswrite($mon, "MONITOR\r\n");
my $mbuf = '';

# the arguments of the next FCALL of fn (after its one key, the anchor
# of no site: "1" "cc:")
sub fcall_args {
    my ($fn) = @_;
    my $sel = IO::Select->new($mon);
    my $deadline = time + CCTest->scale(10);
    while (1) {
        while ($mbuf =~ s/^([^\n]*)\r\n//) {
            my $line = $1;
            my $name = $t->fn($fn);
            next unless $line =~ /"FCALL" "\Q$name\E" "1" "cc:"(.*)$/i;
            my @args;
            my $rest = $1;
            while ($rest =~ /\G\s*"((?:[^"\\]|\\.)*)"/g) {
                (my $a = $1) =~ s/\\"/"/g;
                push @args, $a;
            }
            return \@args;
        }
        my $left = $deadline - time;
        return undef if $left <= 0 || !$sel->can_read($left);
        sysread($mon, my $buf, 65536) or return undef;
        $mbuf .= $buf;
    }
}

# ---- the defaults

$t->default_server;
my $c = $t->create_call(queue => 'sales');
my $a = fcall_args('cc_call_create');
is($a && $a->[5], '60000', 'cc_call_create: caller grace 60s by default');

my $q = "/call/$c->{call}/messages?token=$c->{token}";
is($t->http('POST', $q, body => '{"type":"chat","text":"hi"}')->{status},
    202, 'a chat');
$a = fcall_args('cc_caller_message');
is_deeply($a && [ @$a[0, 1, 3 .. 6] ],
    [ $c->{call}, $c->{token}, 'keep', 10000, 20, 1048576 ],
    'chat: kept, 10r/s (10000), burst 20, budget 1m by default');
is($a && $a->[2], '{"type":"chat","text":"hi"}',
    '... the message as normalized');
$t->http('POST', $q, body => '{"type":"typing"}');
$a = fcall_args('cc_caller_message');
is($a && $a->[3], 'live', 'typing: live');
for my $msg ('{"type":"whiteboard","strokes":[]}',
    '{"type":"signal","sdp":"v=0"}')
{
    $t->http('POST', $q, body => $msg);
    $a = fcall_args('cc_caller_message');
    is($a && $a->[3], 'keep', "$msg: keep");
}

$t->agent_http('alice', 'POST', "/agent/calls/$c->{call}/messages",
    body => '{"type":"typing"}');
$a = fcall_args('cc_agent_message');
is_deeply($a, [ 'alice', $c->{call}, '{"type":"typing"}', 'live' ],
    'agent typing: cc_agent_message a id message live');
$t->agent_http('alice', 'POST', "/agent/calls/$c->{call}/messages",
    body => '{"type":"page","url":"https://shop.example/"}');
$a = fcall_args('cc_agent_message');
is($a && $a->[3], 'keep', 'agent page: keep');
$t->stop_nginx;

# ---- set at every level, inherited down

$t->start_nginx(<<'EOF', http => <<'EOF2');
callcenter_call_budget 64k;
        callcenter_caller_grace 5s;
        location /call { callcenter_caller; }
        location /fast/call {
            callcenter_caller;
            callcenter_message_rate 100r/s;
            callcenter_caller_grace 1500ms;
        }
        location /own/call {
            callcenter_caller;
            callcenter_message_rate 2r/s burst=1;
            callcenter_call_budget 2k;
        }
        location /free/call {
            callcenter_caller;
            callcenter_message_rate off;
            callcenter_call_budget 0;
        }
EOF
callcenter_message_rate 30r/m burst=5;
EOF2

for my $case (['/call', [500, 5, 65536], '5000',
        'http rate 30r/m burst=5, server budget 64k and grace 5s'],
    ['/fast/call', [100000, 20, 65536], '1500',
        'a location rate without burst: burst 20 again'],
    ['/own/call', [2000, 1, 2048], '5000', 'all set in the location'],
    ['/free/call', [0, 0, 0], '5000', 'off and 0: no limits'])
{
    my ($loc, $want, $grace, $name) = @$case;
    my $res = $t->http('POST', $loc, body => '{"queue":"sales"}',
        headers => { 'Content-Type' => 'application/json' });
    is($res->{status}, 201, "$loc: call created");
    $a = fcall_args('cc_call_create');
    is($a && $a->[5], $grace, "$loc: caller grace $grace ms");
    my $cc = $res->{json} // {};
    $t->http('POST', "$loc/$cc->{call}/messages?token=$cc->{token}",
        body => '{"type":"chat","text":"x"}');
    $a = fcall_args('cc_caller_message');
    is_deeply($a && [ @$a[4 .. 6] ], $want, "$loc: $name");
}

# ---- the directives' syntax

for my $case (['callcenter_message_rate 10r/s;', 1],
    ['callcenter_message_rate 1r/m burst=1;', 1],
    ['callcenter_message_rate 100000r/s burst=100000;', 1],
    ['callcenter_message_rate 10;', 0],
    ['callcenter_message_rate 10r/h;', 0],
    ['callcenter_message_rate 0r/s;', 0],
    ['callcenter_message_rate r/s;', 0],
    ['callcenter_message_rate -1r/s;', 0],
    ['callcenter_message_rate 100001r/s;', 0],
    ['callcenter_message_rate 10r/s burst=0;', 0],
    ['callcenter_message_rate 10r/s burst=;', 0],
    ['callcenter_message_rate 10r/s burst=x;', 0],
    ['callcenter_message_rate 10r/s nodelay;', 0],
    ['callcenter_message_rate 10r/s burst=1 burst=2;', 0],
    ['callcenter_message_rate 10r/s; callcenter_message_rate 5r/s;', 0],
    ['callcenter_message_rate off;', 1],
    ['callcenter_message_rate off burst=2;', 0],
    ['callcenter_call_budget 1m;', 1],
    ['callcenter_call_budget 0;', 1],
    ['callcenter_call_budget 2g;', 0],
    ['callcenter_call_budget lots;', 0])
{
    my ($conf, $ok) = @$case;
    my $r = $t->nginx_t("location /call { callcenter_caller; $conf }");
    is($r->{ok}, $ok, ($ok ? 'accepted: ' : 'refused: ') . $conf)
        or diag $r->{output};
}

close $mon;
done_testing;

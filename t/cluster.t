# Redis Cluster by site: three masters on loopback, two sites whose hash
# tags land on different masters, each with its nginx (callcenter_site)
# and router (--site).  Each site runs the whole flow (call, offer,
# accept, messages both ways, end) with the same queue and agent names,
# every key of a site in its one slot.  Site B's router and nginx are
# pointed at the node that does not own B's slot: both follow MOVED.
use strict; use warnings; use Test::More;
use lib 't/lib'; use CCTest;

my $t = CCTest->new;
plan skip_all => 'no redis-cli'
    unless system('redis-cli --version > /dev/null 2>&1') == 0;

my @nodes = eval { map {
    $t->start_redis_server('--cluster-enabled', 'yes',
        '--cluster-config-file', "nodes-$_.conf",
        '--cluster-node-timeout', 5000)
} 1 .. 3 };
plan skip_all => 'redis-server without cluster support'
    unless @nodes == 3 && ($t->redis_at($nodes[0]{port}, 'INFO', 'cluster')
        // '') =~ /cluster_enabled:1/;

my $out = `redis-cli --cluster create @{[map { "127.0.0.1:$_->{port}" }
    @nodes]} --cluster-replicas 0 --cluster-yes 2>&1`;
is($?, 0, 'redis-cli --cluster create') or diag $out;
ok($t->wait_for(sub {
    !grep { ($t->redis_at($_->{port}, 'CLUSTER', 'INFO') // '')
        !~ /cluster_state:ok/ } @nodes }, timeout => 30), 'cluster ok');

# the node serving a slot: its port
sub owner {
    my ($slot) = @_;
    for my $r (@{ $t->redis_at($nodes[0]{port}, 'CLUSTER', 'SLOTS') }) {
        return $r->[2][1] if $slot >= $r->[0] && $slot <= $r->[1];
    }
    return undef;
}

# two sites on two masters: the first names whose slots differ in node
my %site;
for my $name (map { "site$_" } 1 .. 50) {
    my $slot = $t->redis_at($nodes[0]{port}, 'CLUSTER', 'KEYSLOT',
        "cc:{$name}");
    my $port = owner($slot);
    next if grep { $_->{port} == $port } values %site;
    $site{ keys %site ? 'B' : 'A' } = { name => $name, slot => $slot,
        port => $port };
    last if keys %site == 2;
}
isnt($site{A}{port}, $site{B}{port}, "sites $site{A}{name} and"
    . " $site{B}{name} on two masters");

# site A: this object, on its owner; site B: a node object, also on A's
my ($pid) = map { $_->{pid} } grep { $_->{port} == $site{A}{port} } @nodes;
$t->{redis_port} = $site{A}{port};
$t->{redis_pid} = $pid;
my $u = $t->node;

my $agents = [{ id => 'alice', name => 'Alice', queues => ['sales'],
    capacity => 1 }];
my %router;
for my $s ([$t, 'A', $site{A}{port}], [$u, 'B', $site{A}{port}]) {
    my ($o, $k, $port) = @$s;
    $o->write_agents($agents);
    $router{$k} = $o->start_router('--site', $site{$k}{name},
        '--redis', "127.0.0.1:$port", '--name', "router-$k");
    ok($o->wait_for(sub { $router{$k}->log_text =~ /agents loaded/ },
        timeout => 15), "router $k: agents loaded");
    $o->default_server(http => "callcenter_site $site{$k}{name};");
}
my $moved = qr/MOVED $site{B}{slot} 127\.0\.0\.1:$site{B}{port}/;
like($router{B}->log_text, $moved, 'router B was sent to its slot\'s node');
# the first FCALL of B's nginx may meet MOVED (503), then the link moves
ok($u->wait_for(sub {
    $u->http('GET', '/callcenter/status')->{status} == 200 }, timeout => 10),
    'nginx B answers from its slot\'s node');
like($u->error_log, qr/redis command link: $moved, reconnecting there/,
    'nginx B was sent there by MOVED');

for my $s ([$t, 'A'], [$u, 'B']) {
    my ($o, $k) = @$s;
    my $name = $site{$k}{name};
    my $sa = $o->agent_online('alice');
    my $c = $o->create_call(queue => 'sales', name => "caller of $k");
    my $q = "?token=$c->{token}";
    my $cs = $c->{stream};
    my $ev = $sa->wait_event('offer', timeout => 10,
        match => sub { $_[0]{json}{call} eq $c->{call} });
    ok($ev, "site $k: offered");
    is($ev && $ev->{json}{caller}{name}, "caller of $k",
        "site $k: its own caller");
    is($o->agent_http('alice', 'POST', "/agent/calls/$c->{call}/accept")
        ->{status}, 200, "site $k: accepted");
    ok($cs->wait_event('assigned'), "site $k: caller assigned");
    is($o->http('POST', "/call/$c->{call}/messages$q",
        body => qq({"type":"chat","text":"hello from $k"}))->{status}, 202,
        "site $k: caller's message");
    is($o->agent_http('alice', 'POST', "/agent/calls/$c->{call}/messages",
        body => qq({"type":"chat","text":"answer in $k"}))->{status}, 202,
        "site $k: agent's message");
    ok($sa->wait_event('message', match => sub {
        $_[0]{json}{message}{text} eq "hello from $k" }),
        "site $k: agent reads the caller");
    ok($cs->wait_event('message', match => sub {
        $_[0]{json}{message}{text} eq "answer in $k" }),
        "site $k: caller reads the agent");
    is($o->agent_http('alice', 'POST', "/agent/calls/$c->{call}/end")
        ->{status}, 200, "site $k: ended");
    $ev = $cs->wait_event('ended');
    is($ev && $ev->{json}{reason}, 'agent_end', "site $k: caller ended");

    # every key of the site's node is the site's, in its slot
    my $listed = $t->redis_at($site{$k}{port}, 'KEYS', '*');
    ok(@$listed > 5, "site $k: " . @$listed . " keys on its node");
    is(scalar(grep { !/^cc:\{\Q$name\E\}:/ } @$listed), 0,
        "site $k: every key named cc:{$name}:...");
    is(scalar(grep { $t->redis_at($site{$k}{port}, 'CLUSTER', 'KEYSLOT', $_)
        != $site{$k}{slot} } @$listed), 0,
        "site $k: every key in slot $site{$k}{slot}");
}

# the directive takes a site name, once
for my $bad ('Upper', 'a{b}', 'x' x 33) {
    ok(!$t->nginx_t('', http => "callcenter_site $bad;")->{ok},
        "callcenter_site $bad: refused");
}
ok(!$t->nginx_t('', http => 'callcenter_site a; callcenter_site b;')->{ok},
    'callcenter_site twice: refused');

# the library takes a site's key only: one, of the site grammar
my $fn = $t->fn('cc_routing_state');
like($t->redis_at($site{A}{port}, 'FCALL', $fn, 1,
    "cc:{$site{A}{name}}x"), qr/^BADREQ bad site key/,
    'a key of no site: BADREQ');
like($t->redis_at($site{A}{port}, 'FCALL', $fn, 2, "cc:{$site{A}{name}}",
    "cc:{$site{A}{name}}:x"), qr/^BADREQ one key/, 'two keys: BADREQ');

$t->finish;
done_testing;

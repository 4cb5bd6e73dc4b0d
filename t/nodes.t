# Two nginx nodes (own prefixes, configs, ports) and two routers on one
# Redis: a caller on node A talks with the agent on node B; the caller's
# stream drops from A and resumes on B with Last-Event-ID, missing and
# repeating nothing; A reloaded while B goes on, then A serves again; A
# stopped while B goes on, the agent on B untouched.
use strict; use warnings; use Test::More;
use lib 't/lib'; use CCTest;

my $t = CCTest->new;
$t->start_redis;
$t->load_functions;
$t->write_agents([
    { id => 'alice', name => 'Alice', queues => ['sales'], capacity => 2 }]);
$t->start_router('--name', $_) for qw(r1 r2);
my $a = $t;             # node A
my $b = $t->node;       # node B
$a->default_server;
$b->default_server;
isnt($a->port, $b->port, 'two nodes on their own ports');
isnt($a->testdir, $b->testdir, '... with their own prefixes');

my $sa = $b->agent_online('alice');
my $c = $a->create_call(queue => 'sales', name => 'Zoe', -stream => 0);
my $q = "?token=$c->{token}";
my $cs = $a->sse("/call/$c->{call}/events$q");
my $ev = $sa->wait_event('offer', timeout => 10,
    match => sub { $_[0]{json}{call} eq $c->{call} });
ok($ev, 'agent on B: offered the call made on A');
is($b->agent_http('alice', 'POST', "/agent/calls/$c->{call}/accept")
    ->{status}, 200, 'agent accepts on B');
ok($cs->wait_event('assigned', match => sub {
    $_[0]{json}{agent}{id} eq 'alice' }), 'caller on A: assigned to alice');
ok($sa->wait_event('assigned', match => sub {
    $_[0]{json}{call} eq $c->{call} }), 'agent on B: assigned');

# sends TEXT from WHO through NODE; returns the event id of the 202/200
sub say_ {
    my ($node, $who, $text) = @_;
    my $r = $who eq 'caller'
        ? $node->http('POST', "/call/$c->{call}/messages$q",
            body => qq({"type":"chat","text":"$text"}))
        : $node->agent_http('alice', 'POST',
            "/agent/calls/$c->{call}/messages",
            body => qq({"type":"chat","text":"$text"}));
    ok($r->{status} == 202 || $r->{status} == 200,
        "$who says '$text' through " . ($node == $a ? 'A' : 'B'))
        or diag "$r->{status} $r->{content}";
    return $r->{json}{id};
}

# the messages a stream reads up to and including TEXT, as "from:text"
sub read_to {
    my ($s, $text) = @_;
    my @evs = $s->events_until(sub {
        ($_[0]{json}{message}{text} // '') eq $text }, timeout => 10);
    my @got = map { $_->{event} eq 'message'
        ? "$_->{json}{from}:$_->{json}{message}{text}" : $_->{event} } @evs;
    return wantarray ? (\@got, \@evs) : \@got;
}

# ---- messages both ways across the nodes
say_($a, 'caller', 'hello from A');
is_deeply(scalar read_to($sa, 'hello from A'), ['caller:hello from A'],
    'agent on B gets the caller\'s message sent on A');
say_($b, 'agent', 'hello from B');
is_deeply(scalar read_to($sa, 'hello from B'), ['agent:hello from B'],
    'agent on B gets its own message');
my ($got) = read_to($cs, 'hello from B');
is_deeply($got, ['caller:hello from A', 'agent:hello from B'],
    'caller on A gets its own and the agent\'s message sent on B');

# ---- the caller's stream drops from A, resumes on B
my $last = $cs->last_id;
$cs->close;
my @ids;
push @ids, say_($b, 'caller', 'away 1');
push @ids, say_($b, 'agent', 'away 2');
push @ids, say_($a, 'caller', 'away 3');
is_deeply(scalar read_to($sa, 'away 3'),
    ['caller:away 1', 'agent:away 2', 'caller:away 3'],
    'the agent got what was sent while the caller was away');
$cs = $b->sse("/call/$c->{call}/events$q",
    headers => { 'Last-Event-ID' => $last });
say_($b, 'agent', 'back on B');
my $evs;
($got, $evs) = read_to($cs, 'back on B');
is_deeply($got,
    ['caller:away 1', 'agent:away 2', 'caller:away 3', 'agent:back on B'],
    'caller resumed on B: every missed message once, in order, then live');
is_deeply([map { $_->{id} } @$evs[0 .. 2]], \@ids,
    '... with the ids the answers gave');

# ---- node A reloaded while B goes on
my $ca = $a->sse("/call/$c->{call}/events$q",
    headers => { 'Last-Event-ID' => $cs->last_id });
say_($a, 'caller', 'on A too');
is_deeply(scalar read_to($ca, 'on A too'), ['caller:on A too'],
    'a second caller stream on A, from where B was');
read_to($cs, 'on A too');
read_to($sa, 'on A too');
my %old = map { $_ => 1 } keys %{ $a->_worker_pids };
my $before = $a->_redis_client_ids;
kill 'HUP', $a->{nginx_pid};
ok($ca->wait_eof(timeout => 10), 'reload: A\'s old worker ends its stream');
my $last_a = $ca->last_id;
say_($b, 'caller', 'during reload 1');
say_($b, 'agent', 'during reload 2');
is_deeply(scalar read_to($sa, 'during reload 2'),
    ['caller:during reload 1', 'agent:during reload 2'],
    'during the reload: the agent on B goes on');
is_deeply(scalar read_to($cs, 'during reload 2'),
    ['caller:during reload 1', 'agent:during reload 2'],
    'during the reload: the caller on B goes on');
ok($a->wait_for(sub {
    my @new = grep { !$old{$_} } $a->_live_workers;
    @new >= 1 && !grep { $old{$_} } keys %{ $a->_worker_pids };
}, timeout => 10), 'A: a new worker, the old one gone');
$a->_wait_module_connected($before, 1);
$ca = $a->sse("/call/$c->{call}/events$q",
    headers => { 'Last-Event-ID' => $last_a });
say_($a, 'caller', 'A again');
is_deeply(scalar read_to($ca, 'A again'),
    ['caller:during reload 1', 'agent:during reload 2', 'caller:A again'],
    'A serves again: the caller resumes there, nothing missed');
is_deeply(scalar read_to($sa, 'A again'), ['caller:A again'],
    '... and the agent on B gets what is sent through A');
read_to($cs, 'A again');

# ---- node A stopped while B goes on
$a->stop_nginx;
ok(!$a->nginx_running, 'A stopped');
ok($ca->wait_eof(timeout => 5), 'the caller\'s stream on A ended');
ok(!$sa->eof, 'the agent\'s stream on B still open');
say_($b, 'caller', 'after A 1');
say_($b, 'agent', 'after A 2');
is_deeply(scalar read_to($sa, 'after A 2'), ['caller:after A 1', 'agent:after A 2'],
    'the agent on B: the call goes on, nothing else happened to it');
is_deeply(scalar read_to($cs, 'after A 2'), ['caller:after A 1', 'agent:after A 2'],
    'the caller on B: the call goes on');
my $st = $b->http('GET', '/callcenter/status')->{json}{agents}{alice};
is($st && "$st->{status} $st->{calls}", 'available 1',
    'status on B: alice available, holding the call');
is($b->agent_http('alice', 'POST', "/agent/calls/$c->{call}/end")
    ->{status}, 200, 'the agent ends the call on B');
$ev = $cs->wait_event('ended');
is($ev && $ev->{json}{reason}, 'agent_end', 'caller on B: ended');
ok($sa->wait_event('ended'), 'agent on B: ended');

# a new call, made on B now that A is gone, reaches the agent on B
my $c2 = $b->create_call(queue => 'sales', name => 'Yves');
$ev = $sa->wait_event('offer', timeout => 10,
    match => sub { $_[0]{json}{call} eq $c2->{call} });
ok($ev, 'a new call on B reaches the agent on B');

ok(!grep({ !$_->alive } @{ $t->{routers} }), 'both routers ran throughout');
$_->close for $sa, $cs, $ca;
done_testing;

# Sticky routing (PROTOCOL.md "Queues and routing"): a returning caller,
# known by the visitor cookie the module sets or by callcenter_customer,
# goes to the agent who took their last call when that agent is available,
# waits for them within `sticky`, and goes elsewhere after.
use strict; use warnings; use Test::More;
use lib 't/lib'; use CCTest;

my $t = CCTest->new;
$t->start_redis;
$t->write_agents([
    { id => 's1', queues => ['st'] },
    { id => 's2', queues => ['st'] },
]);
$t->write_queues({ st => { sticky => 4 } });
$t->start_router('--tick', 100);
$t->start_nginx(<<'EOF');
location /call { callcenter_caller; callcenter_customer $http_x_customer; }
        location /agent/ { callcenter_agent $http_x_agent; }
        location = /callcenter/status { callcenter_status; }
EOF

sub ms_of { (split /-/, $_[0]{id} // '0')[0] }
sub post { $t->agent_http($_[0], 'POST', "/agent/calls/$_[1]{call}/$_[2]")
    ->{status} }
my $s = $t->agents_online(qw(s1 s2));
# a call with these headers: the agent first offered it (and the event)
sub call {
    my (%h) = @_;
    my $c = $t->create_call(queue => 'st', -headers => \%h);
    my ($a, $ev) = $t->first_event($s, 'offer', timeout => 15,
        match => sub { $_[0]{json}{call} eq $c->{call} });
    return ($c, $a // '(none)', $ev);
}

# ---- the visitor cookie
my ($c1, $a1) = call();
is($a1, 's1', 'a first call: the longest idle, s1');
my $set = $c1->{headers}{'set-cookie'} // '';
($set) = grep { /HttpOnly/i } ref $set ? @$set : $set;
like($set // '', qr/HttpOnly/i, 'the module sets an HttpOnly visitor cookie');
like($set // '', qr/SameSite=Lax/i, '... SameSite=Lax');
my ($cookie) = ($set // '') =~ /^([^;]+)/;
my %V = (Cookie => $cookie // 'none=1');
is(post('s1', $c1, 'accept'), 200, 's1 takes it');
is(post('s1', $c1, 'end'), 200, '... and ends it (s2 now idle longer)');

my ($c2, $a2) = call(%V);
is($a2, 's1', 'the visitor returns: s1 again, though s2 idles longer');
is(post('s1', $c2, 'accept'), 200, 's1 takes it and holds it');

# s1 busy: the visitor's next call waits for s1; a later stranger's call
# goes to s2 meanwhile
my $c3 = $t->create_call(queue => 'st', -headers => \%V);
$c3->{stream}->wait_event('queued');
my ($c4, $a4) = call();
is($a4, 's2', 'a stranger arriving later goes to s2');
ok(!grep({ $_->{event} eq 'offer' } @{ $s->{s2}{passed} // [] }),
    's2 was not offered the visitor\'s call');
is(post('s2', $c4, 'accept'), 200, 's2 takes the stranger\'s call');
is(post('s2', $c4, 'end'), 200, '... and ends it: s2 is free');
is(post('s1', $c2, 'end'), 200, 's1 ends the visitor\'s second call');
my ($a3, $ev) = $t->first_event($s, 'offer', timeout => 10,
    match => sub { $_[0]{json}{call} eq $c3->{call} });
is($a3, 's1', 'within sticky the visitor\'s waiting call goes to s1');
is(post('s1', $c3, 'accept'), 200, 's1 takes it and holds it');

# still busy: past sticky (4 s) the visitor's call goes to s2
my $before = $t->redis_ms;
my ($c5, $a5, $ev5) = call(%V);
is($a5, 's2', 'past sticky the call goes elsewhere');
cmp_ok($ev5 ? ms_of($ev5) : 0, '>=', $before + 4000,
    '... not before sticky ran out');
my $rec = $t->agent_http('s2', 'GET', "/agent/calls/$c5->{call}")->{json};
ok(grep({ !defined $_->{agent} && ($_->{reason} // '') =~ /sticky/ }
    @{ $rec && $rec->{routing} // [] }), 'its record: it waited for sticky')
    or diag explain $rec && $rec->{routing};
post('s2', $c5, 'accept');
post('s2', $c5, 'end');
post('s1', $c3, 'end');

# ---- callcenter_customer from a header, whatever the cookie
$t->tick;
my ($c6, $a6) = call('X-Customer' => 'user-42');
is(post($a6, $c6, 'accept'), 200, "a customer's call: $a6 takes it");
is(post($a6, $c6, 'end'), 200, "... and ends it");
my $other = $a6 eq 's1' ? 's2' : 's1';
my ($c7, $a7) = call('X-Customer' => 'user-42', Cookie => 'cc_x=1');
ok($a6 =~ /^s[12]$/ && $a7 eq $a6,
    "the customer returns: $a6 again, not $other who idles longer");
post($a7, $c7, 'accept');
post($a7, $c7, 'end');
my ($c8, $a8) = call('X-Customer' => 'user-43', %V);
is($a8, $a6 eq 's1' ? 's2' : 's1', 'another customer with the visitor\'s'
    . ' cookie: the longest idle (the customer wins over the cookie)');

done_testing;

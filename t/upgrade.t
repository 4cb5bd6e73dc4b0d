# A rolling upgrade: Redis holds another version of the function library
# (callcenter_OLD, functions NAME_OLD) when this version's module and
# router connect.  Each loads its own library (FUNCTION LOAD without
# REPLACE), the other stays as it was and keeps working, every FCALL of
# this version goes to its own functions, and a second start meets its
# library already loaded without failing.
use strict; use warnings; use Test::More;
use lib 't/lib'; use CCTest;

my $t = CCTest->new;
$t->start_redis;

my $v = $t->functions_version;
like($v, qr/^[0-9a-f]{12}\z/, 'embed.sh --version: 12 hex digits');
my $ours = $t->functions_lua;
like($ours, qr/\A#!lua name=callcenter_$v\n/, 'the library is callcenter_V');

# the other version: the same text under another version, each of its
# functions counting its calls, so that a call into it cannot go unseen
my $old_v = 'feedc0ffee00';
my $old = $ours =~ s/\Q$v\E/$old_v/gr;
my $count = "redis.call('INCR', 'upgrade:old:calls')";
ok($old =~ s/(local ok, res = pcall\(body, unpack\(args\)\))/$count $1/,
    'the other version counts its calls');
is($t->redis_cmd('FUNCTION', 'LOAD', $old), "callcenter_$old_v",
    'the other version is loaded');

sub libraries {
    my $list = $t->redis_cmd_ok('FUNCTION', 'LIST', 'WITHCODE');
    my %lib;
    for my $l (@$list) {
        my %h = @$l;
        $lib{ $h{library_name} } = {
            code => $h{library_code},
            functions => [ sort map { { @$_ }->{name} } @{ $h{functions} } ],
        };
    }
    return \%lib;
}

sub flow {
    my ($what) = @_;
    my $sa = $t->agent_online('alice');
    my $c = $t->create_call(queue => 'sales', name => $what);
    my $cs = $t->sse("/call/$c->{call}/events?token=$c->{token}");
    my $ev = $sa->wait_event('offer', timeout => 10,
        match => sub { $_[0]{json}{call} eq $c->{call} });
    ok($ev, "$what: the router offers the call");
    is($t->agent_http('alice', 'POST', "/agent/calls/$c->{call}/accept",
        headers => { 'Content-Type' => 'application/json' })->{status}, 200,
        "$what: alice accepts");
    $ev = $cs->wait_event('assigned', timeout => 5);
    is($ev && $ev->{json}{agent}{id}, 'alice', "$what: caller assigned");
    is($t->agent_http('alice', 'POST', "/agent/calls/$c->{call}/end",
        headers => { 'Content-Type' => 'application/json' })->{status}, 200,
        "$what: alice ends the call");
    $_->close for $sa, $cs;
}

$t->write_agents([
    { id => 'alice', name => 'Alice', queues => ['sales'], capacity => 1 },
]);
my $router = $t->start_router;
$t->default_server;
flow('first start');

my $lib = libraries();
is_deeply([ sort keys %$lib ], [ sort "callcenter_$old_v", "callcenter_$v" ],
    'both libraries are loaded');
is($lib->{"callcenter_$v"}{code}, $ours, 'ours holds our text');
is($lib->{"callcenter_$old_v"}{code}, $old, 'the other is untouched');
ok(!grep({ !/_$v\z/ } @{ $lib->{"callcenter_$v"}{functions} })
    && grep({ $_ eq "cc_offer_$v" } @{ $lib->{"callcenter_$v"}{functions} }),
    'our functions are NAME_V');
is($t->redis_cmd('GET', 'upgrade:old:calls'), undef,
    'nothing of this version called the other');
ok(!ref $t->redis_cmd('FCALL', "cc_status_$old_v", 0, 'json'),
    'the other version still answers');
is($t->redis_cmd('GET', 'upgrade:old:calls'), 1, '... and counted it');

# a second start: this version's library is there already, not an error
$t->stop_nginx;
$t->stop_router($router);
$router = $t->start_router;
$t->default_server;
flow('second start');
unlike($t->error_log, qr/handshake/, 'nginx: no handshake error');
unlike($router->log_text, qr/redis down/, 'router: no handshake error');
is($t->redis_cmd('GET', 'upgrade:old:calls'), 1,
    'the other version was not called');

# the upgrade done: the old library goes (docs/DESIGN.md)
$t->redis_cmd_ok('FUNCTION', 'DELETE', "callcenter_$old_v");
is_deeply([ keys %{ libraries() } ], ["callcenter_$v"],
    'FUNCTION DELETE leaves ours alone');
flow('after the delete');

done_testing;

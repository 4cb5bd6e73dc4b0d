# callcenter_status: JSON figures and the Prometheus text format.
use strict; use warnings; use Test::More;
use lib 't/lib'; use CCTest;

my $t = CCTest->new;
$t->start_redis;
$t->load_functions;
$t->write_agents([
    { id => 'alice', name => 'Alice', queues => ['sales'], capacity => 2 },
    { id => 'bob', name => 'Bob', queues => ['sales', 'support'],
        capacity => 1 },
]);
$t->start_router;
$t->default_server;

my $sa = $t->agent_online('alice');
my $c1 = $t->create_call(queue => 'sales');
my $ev = $sa->wait_event('offer', timeout => 10);
is($t->agent_http('alice', 'POST', "/agent/calls/$c1->{call}/accept")
    ->{status}, 200, 'alice holds one call');
is($t->agent_http('alice', 'POST', '/agent/status',
    body => '{"status":"away"}')->{status}, 200, 'alice away');
my $c2 = $t->create_call(queue => 'sales');
my $c3 = $t->create_call(queue => 'support');
my $c4 = $t->create_call(queue => 'support');
$t->http('POST', "/call/$c4->{call}/hangup?token=$c4->{token}");

my $res = $t->http('GET', '/callcenter/status');
is($res->{status}, 200, 'status: 200');
like($res->{headers}{'content-type'} // '', qr{^application/json}, 'JSON');
my $s = $res->{json} // {};
my $sales = $s->{queues}{sales} // {};
my $support = $s->{queues}{support} // {};
is($sales->{waiting}, 1, 'sales: 1 waiting');
is($support->{waiting}, 1, 'support: 1 waiting (the other abandoned)');
ok(defined $sales->{longest_wait} && $sales->{longest_wait} >= 0,
    'sales: longest_wait');
is($sales->{assigned}, 1, 'sales: 1 assigned');
is($support->{abandoned}, 1, 'support: 1 abandoned');
for my $f (qw(agents_available agents_busy)) {
    ok(defined $sales->{$f}, "sales: $f");
}
is($s->{agents}{alice}{status}, 'away', 'alice: away');
is($s->{agents}{alice}{calls}, 1, 'alice: 1 call, a number');
is($s->{agents}{alice}{offers}, 0, 'alice: 0 offers, a number');
my @ids = grep { index($res->{content}, $_->{call}) >= 0 } $c1, $c2, $c3;
is_deeply(\@ids, [], 'figures only: no call id on the status page');
like($s->{agents}{bob}{status} // '', qr/^(away|offline)$/,
    'bob: away (or offline) by default');

$res = $t->http('GET', '/callcenter/status?format=prometheus');
is($res->{status}, 200, 'prometheus: 200');
like($res->{headers}{'content-type'} // '', qr{^text/plain}, 'text/plain');
my $text = $res->{content} // '';
my @bad = grep { !/^#\s(HELP|TYPE)\s\w+/ && !/^[a-zA-Z_:][a-zA-Z0-9_:]*(\{[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*"(,[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*")*\})?\s[-+0-9.eEInfa]+(\s-?\d+)?$/ }
    grep { length } split /\n/, $text;
is(scalar @bad, 0, 'every line is a comment or a sample')
    or diag join "\n", @bad[0 .. ($#bad > 9 ? 9 : $#bad)];
my ($waiting) = grep { /queue="sales"/ && /wait/ && !/longest/ }
    split /\n/, $text;
like($waiting // '', qr/\s1(\.0+)?$/, 'prometheus: sales waiting 1')
    or diag $text;
like($text, qr/^# TYPE /m, 'TYPE lines');
like($text, qr/^callcenter_agent_calls\{agent="alice"\} 1$/m,
    'prometheus: alice holds 1 call');
ok(!grep({ index($text, $_->{call}) >= 0 } $c1, $c2, $c3),
    'prometheus: no call id');

is($t->http('POST', '/callcenter/status')->{status}, 405, 'POST: 405');

$sa->close;
done_testing;

# Tuning directives inherited from server (and http) into locations.
use strict; use warnings; use Test::More;
use lib 't/lib'; use CCTest;

my $t = CCTest->new;
$t->start_redis;
$t->load_functions;
$t->load_agents([{ id => 'alice', queues => ['default', 'sales'] }]);
$t->start_nginx(<<'EOF2', http => 'callcenter_message_max 64k;');
callcenter_body_max 1k;
        callcenter_heartbeat 1s;
        callcenter_caller_page /custom/page.html;
        location /call { callcenter_caller; }
        location /big/call { callcenter_caller; callcenter_body_max 32k; }
        location /quiet/call { callcenter_caller; callcenter_heartbeat 1h; }
EOF2

my $J = CCTest->json;
# 2 KiB of valid fields: a long page URL and some info
my $two_k = $J->encode({ page => 'https://shop.example/' . ('p' x 1500),
    info => { map { ("k$_" => 'v' x 40) } 1 .. 12 } });
cmp_ok(length $two_k, '>', 2000, 'the body is over 2 KiB');
is($t->http('POST', '/call', body => $two_k)->{status}, 413,
    'server-level callcenter_body_max 1k inherited by the location');
is($t->http('POST', '/big/call', body => $two_k)->{status}, 201,
    'location-level callcenter_body_max 32k overrides it');
is($t->http('POST', '/call', body => '{"name":"short"}')->{status}, 201,
    'small body fine');

my $res = $t->http('GET', '/call?queue=sales');
like($res->{headers}{location} // '', qr{^(https?://[^/]+)?/custom/page\.html},
    'callcenter_caller_page inherited from server');

my $c = $t->create_call(queue => 'sales');
my $s = $t->sse("/call/$c->{call}/events?token=$c->{token}");
ok(defined $s->next_comment(timeout => 5),
    'callcenter_heartbeat 1s inherited from server: a ping comes');
$s->close;

# http-level message_max 64k: a 20k message is accepted (default 16k)
my $msg = $J->encode({ type => 'whiteboard',
    strokes => [ map { { color => '#123456', points => [ (1, 2) x 500 ] } } 1 .. 10 ] });
cmp_ok(length $msg, '>', 16384, 'the message is over 16 KiB');
is($t->http('POST', "/call/$c->{call}/messages?token=$c->{token}",
    body => $msg)->{status}, 202,
    'http-level callcenter_message_max inherited down to the location');

done_testing;

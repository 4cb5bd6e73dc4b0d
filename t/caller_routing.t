# What the caller location feeds routing (PROTOCOL.md "Queues and
# routing"): callcenter_priority (a complex value, never the body) reaches
# the call's hash; callcenter_customer, else the visitor cookie the module
# sets, names the customer (the library keeps its SHA-1).
use strict; use warnings; use Test::More;
use lib 't/lib'; use CCTest;
use Digest::SHA qw(sha1_hex);
use HTTP::Tiny;

my $t = CCTest->new;
$t->start_redis;
$t->write_agents([{ id => 'alice', queues => ['default', 'sales'] }]);
my $router = $t->start_router;

# an https server too: the cookie is Secure there
my $dir = $t->testdir;
my $tls = CCTest::free_port();
system("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1"
    . " -nodes -days 1 -subj /CN=localhost -keyout '$dir/key.pem'"
    . " -out '$dir/cert.pem' 2>/dev/null") == 0 or die "openssl req failed";

$t->start_nginx(<<'EOF', http => <<'EOF' . <<"EOF");
location /call {
            callcenter_caller;
            callcenter_priority $cc_priority;
            callcenter_customer $http_x_user;
        }
        location /plain/call { callcenter_caller; }
EOF
callcenter_priority 7;
    map $cookie_tier $cc_priority {
        default 0;
        gold    50;
        top     100;
        word    abc;
        over    101;
        minus   -1;
    }
EOF
    server {
        listen 127.0.0.1:$tls ssl;
        ssl_certificate $dir/cert.pem;
        ssl_certificate_key $dir/key.pem;
        location /call { callcenter_caller; }
    }
EOF

my $VISITOR = qr/[A-Za-z0-9_-]{22}/;

sub field {
    my ($call, $name) = @_;
    my $v = $t->redis_cmd_ok('HGET', "cc:call:$call", $name);
    return ref $v ? undef : $v;
}

# POST /call (no stream: the hash is what we read); cookie => "a=b; ..."
sub post {
    my (%o) = @_;
    my %h = ('Content-Type' => 'application/json');
    $h{Cookie} = $o{cookie} if defined $o{cookie};
    $h{'X-User'} = $o{user} if defined $o{user};
    my $res = $t->http('POST', $o{path} // '/call',
        body => $o{body} // '{}', headers => \%h);
    return $res;
}

# the Set-Cookie headers of an answer, as a list
sub set_cookies {
    my ($res) = @_;
    my $h = $res->{headers}{'set-cookie'};
    return () unless defined $h;
    return ref $h ? @$h : ($h);
}

sub n_cookies { my @c = set_cookies(@_); return scalar @c }

sub warns { scalar(() = $t->error_log =~ /\[warn\].*callcenter_priority/g) }

# ---- callcenter_priority

my $res = post(cookie => 'tier=gold');
is($res->{status}, 201, 'POST /call: 201');
is(field($res->{json}{call}, 'priority'), '50',
    'priority 50 from the map of a cookie');

$res = post(cookie => 'tier=top', body => '{"priority": 3}');
is(field($res->{json}{call}, 'priority'), '100',
    'priority 100; a body "priority" changes nothing');

$res = post(body => '{"priority": 99}');
is($res->{status}, 201, 'a body "priority": 99 is ignored: 201');
is(field($res->{json}{call}, 'priority'), '0', '... the call has 0');

$res = post(path => '/plain/call', body => '{"priority": 99}');
is(field($res->{json}{call}, 'priority'), '7',
    'callcenter_priority 7 of http {}: 7, whatever the body says');
is(warns(), 0, 'no warn so far');

my $n = 0;
for my $tier ('word', 'over', 'minus') {
    $res = post(cookie => "tier=$tier");
    is($res->{status}, 201, "map gives $tier: still 201");
    is(field($res->{json}{call}, 'priority'), '0', "... priority 0");
    is(warns(), ++$n, '... and one warn in error.log');
}
like($t->error_log, qr/\[warn\].*callcenter_priority gave "abc"/,
    'the warn names the value');

# GET /call?queue=: the same priority
$res = $t->http('GET', '/call?queue=sales',
    headers => { Cookie => 'tier=gold' });
is($res->{status}, 303, 'GET /call?queue=sales: 303');
my ($lid) = ($res->{headers}{location} // '') =~ /#call=([A-Za-z0-9_-]+)/;
is($lid && field($lid, 'priority'), '50', '... priority 50 from the map');

# ---- the visitor cookie

$res = post();
my @sc = set_cookies($res);
is(scalar @sc, 1, 'no cookie: one Set-Cookie');
my ($v1) = ($sc[0] // '') =~ /^callcenter_visitor=($VISITOR);\ Path=\/;
    \ Max-Age=31536000;\ HttpOnly;\ SameSite=Lax\z/x;
ok($v1, 'callcenter_visitor=ID (22 chars); Path=/; Max-Age=31536000; '
    . 'HttpOnly; SameSite=Lax') or diag explain \@sc;
$v1 //= 'x' x 22;
my $cust1 = field($res->{json}{call}, 'customer');
is($cust1, sha1_hex("v:$v1"), 'the customer is v:ID (its SHA-1 stored)');

$res = post(cookie => "tier=gold; callcenter_visitor=$v1; other=1");
is(n_cookies($res), 0, 'with the cookie: no new Set-Cookie');
is(field($res->{json}{call}, 'customer'), $cust1,
    '... and the same customer');

my $v2 = 'B' x 22;
$res = post(cookie => "callcenter_visitor=$v2");
is(n_cookies($res), 0, 'another valid cookie: no Set-Cookie');
my $cust2 = field($res->{json}{call}, 'customer');
isnt($cust2, $cust1, '... another customer');
is($cust2, sha1_hex("v:$v2"), '... v:COOKIE');

$res = post(cookie => 'callcenter_visitor=' . ('C' x 64));
is(n_cookies($res), 0, 'a 64-char cookie is valid');

for my $bad ('short', 'A' x 21, 'A' x 65, ('A' x 21) . '!',
    ('A' x 21) . '%20')
{
    $res = post(cookie => "callcenter_visitor=$bad");
    @sc = set_cookies($res);
    my ($new) = ($sc[0] // '') =~ /^callcenter_visitor=($VISITOR);/;
    ok($new && @sc == 1, "invalid cookie \"$bad\": replaced by a new one")
        or diag explain \@sc;
    is(field($res->{json}{call}, 'customer'), sha1_hex('v:' . ($new // '')),
        '... which names the customer');
}

# the plain link sets it on its 303
$res = $t->http('GET', '/call?queue=sales');
@sc = set_cookies($res);
is($res->{status}, 303, 'GET /call?queue= without cookie: 303');
like($sc[0] // '', qr/^callcenter_visitor=$VISITOR; Path=\/; /,
    '... with the Set-Cookie');
($lid) = ($res->{headers}{location} // '') =~ /#call=([A-Za-z0-9_-]+)/;
my ($v3) = ($sc[0] // '') =~ /^callcenter_visitor=($VISITOR)/;
is($lid && field($lid, 'customer'), sha1_hex('v:' . ($v3 // '')),
    '... the call is that visitor\'s');
$res = $t->http('GET', '/call?queue=sales',
    headers => { Cookie => "callcenter_visitor=$v1" });
is(n_cookies($res), 0, 'GET with the cookie: no Set-Cookie');

# over https: Secure as well
{
    my $ua = HTTP::Tiny->new(verify_SSL => 0, timeout => CCTest->scale(15));
    my $r = $ua->request('POST', "https://127.0.0.1:$tls/call",
        { content => '{}' });
    is($r->{status}, 201, 'https POST /call: 201');
    my $h = $r->{headers}{'set-cookie'} // '';
    like(ref $h ? "@$h" : $h, qr/^callcenter_visitor=$VISITOR;\ Path=\/;
        \ Max-Age=31536000;\ HttpOnly;\ SameSite=Lax;\ Secure\z/x,
        '... its cookie is Secure');
}

# ---- callcenter_customer

$res = post(user => 'user-42');
is(n_cookies($res), 0, 'callcenter_customer set: no cookie');
is(field($res->{json}{call}, 'customer'), sha1_hex('c:user-42'),
    '... the customer is c:VALUE');
$res = post(user => 'user-42', cookie => "callcenter_visitor=$v1");
is(field($res->{json}{call}, 'customer'), sha1_hex('c:user-42'),
    'callcenter_customer wins over the cookie');

my $long = 'u' x 256;
$res = post(user => $long);
is(field($res->{json}{call}, 'customer'), sha1_hex("c:$long"),
    'a customer of 256 bytes is kept');
$res = post(user => $long . 'u', cookie => "callcenter_visitor=$v1");
is($res->{status}, 201, 'a customer of 257 bytes: still 201');
is(field($res->{json}{call}, 'customer'), $cust1,
    '... refused: the visitor cookie names the customer');
like($t->error_log, qr/\[warn\].*callcenter_customer gave 257 bytes/,
    '... with a warn');

# ---- the directives' syntax

my $r = $t->nginx_t('location /call { callcenter_caller;'
    . ' callcenter_priority 1; callcenter_priority 2; }');
ok(!$r->{ok} && $r->{output} =~ /"callcenter_priority" directive is duplicate/,
    'callcenter_priority twice: nginx -t refuses') or diag $r->{output};
$r = $t->nginx_t('location /call { callcenter_caller;'
    . ' callcenter_customer a b; }');
ok(!$r->{ok} && $r->{output} =~ /invalid number of arguments/,
    'callcenter_customer takes one value') or diag $r->{output};

# ---- the 201 answer

$res = post();
is($res->{json}{status}, 'queued', '201: status queued');
ok(!exists $res->{json}{opens_at}, '... no opens_at while queued');

# ---- a library of the version before (a rolling upgrade) answers
# [position, estimated_wait] only: queued

$t->stop_router($router);
$t->redis_cmd_ok('FUNCTION', 'DELETE', 'callcenter_' . $t->functions_version);
$t->redis_cmd_ok('FUNCTION', 'LOAD', "#!lua name=cc_old\n"
    . "redis.register_function('" . $t->fn('cc_call_create')
    . "', function() return {3, 40} end)");
$res = post(cookie => 'tier=gold');
is($res->{status}, 201, 'the old answer: 201');
is_deeply([ @{ $res->{json} // {} }{qw(status position estimated_wait)} ],
    [ 'queued', 3, 40 ], '... queued, its position and wait');
ok(!exists $res->{json}{opens_at}, '... no opens_at');

$t->finish;
done_testing;

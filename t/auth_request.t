# conf/auth-request.conf: the agents behind auth_request.  The attack: a
# client sends its own "Authorization: Basic alice:anything".  Behind
# auth_request nginx fills $remote_user from that header unchecked, so a
# location with `callcenter_agent $remote_user` there (/naive/ below)
# makes anyone alice.  The shipped variant takes the id the auth service
# answered (X-Agent, through auth_request_set): the forged header gives
# nothing, the service's word decides.
use strict; use warnings; use Test::More;
use lib 't/lib'; use CCTest;
use MIME::Base64 qw(encode_base64);

my $t = CCTest->new;
my $dir = $t->testdir;
my $ROOT = CCTest->root;
$t->start_redis;
$t->load_functions;
$t->write_agents([
    { id => 'alice', name => 'Alice', queues => ['sales'] },
    { id => 'bob', name => 'Bob', queues => ['sales'] },
]);
$t->start_router;

# conf/auth-request.conf as a site includes it, the auth service at a
# port of this test
my $auth_port = CCTest::free_port();
my $conf = do {
    open my $in, '<', "$ROOT/conf/auth-request.conf"
        or die "conf/auth-request.conf: $!";
    local $/;
    <$in>;
};
$conf =~ s{/path/to/callcenter/}{$ROOT/}g;
like($conf, qr{proxy_pass http://127\.0\.0\.1:9000/;},
    'conf/auth-request.conf names its auth service');
$conf =~ s{http://127\.0\.0\.1:9000/}{http://127.0.0.1:$auth_port/}g;
open my $fh, '>', "$dir/auth-request.conf" or die "$dir/auth-request.conf: $!";
print $fh $conf;
close $fh;
chmod 0644, "$dir/auth-request.conf";

# The auth service: a session cookie "sso=bob" is bob; anything else 401.
# It never looks at Authorization.
$t->start_nginx(<<"EOF", http => <<"HTTP");
include $dir/auth-request.conf;
        location /naive/ {
            auth_request /_callcenter_auth;
            callcenter_agent \$remote_user;
        }
EOF
    types { text/html html; }
    server {
        listen 127.0.0.1:$auth_port;
        location / {
            if (\$http_cookie ~ "(^|;) *sso=bob(;|\$)") {
                add_header X-Agent bob;
                return 204;
            }
            return 401;
        }
    }
HTTP

my %forged = (Authorization => 'Basic ' . encode_base64('alice:guess', ''));
my %bob = (Cookie => 'sso=bob');

# the agent a stream belongs to, from its first event (status, with the
# agent's profile)
sub stream_agent {
    my ($path, %h) = @_;
    my $s = $t->sse($path, headers => \%h);
    my $ev = $s->next_event(timeout => 5);
    $s->close;
    my $data = $ev && $ev->{event} eq 'status'
        ? CCTest::decode_json_maybe($ev->{data}) : undef;
    return $data ? $data->{agent}{id} : undef;
}

is($t->http('GET', '/agent/events', headers => \%forged)->{status}, 401,
    'a forged Basic header alone: 401 (the auth service said no)');
is(stream_agent('/agent/events', %forged, %bob), 'bob',
    'a forged Basic header for alice with bob\'s session: the stream is bob\'s');
is(stream_agent('/agent/events', %bob), 'bob',
    'bob\'s session: bob');
is(stream_agent('/naive/events', %forged, %bob), 'alice',
    'the attack: with callcenter_agent $remote_user behind auth_request, '
    . 'the same request is alice');

my $page = $t->http('GET', '/agent/', headers => \%bob);
is($page->{status}, 200, 'the dashboard behind auth_request: 200');
like($page->{headers}{'content-security-policy'} // '',
    qr/script-src 'self'/, 'the dashboard under the pages\' CSP');
is($t->http('GET', '/agent/', headers => \%forged)->{status}, 401,
    'the dashboard with a forged Basic header only: 401');

done_testing;

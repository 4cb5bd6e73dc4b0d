# Build artifacts, loading into Debian's nginx, directive parsing.
use strict; use warnings; use Test::More;
use lib 't/lib'; use CCTest;

ok(-f CCTest->module_path, 'build/ngx_http_callcenter_module.so exists');
ok(-x CCTest->router_path, 'build/callcenter-router exists');
ok(-f CCTest->root . '/config', 'nginx build file "config" at the root');

my $t = CCTest->new;     # skips the rest if something is missing

# --help lists the options and exits 0
my $router = CCTest->router_path;
my $help = `'$router' --help 2>&1`;
is($? >> 8, 0, 'router --help exits 0');
like($help, qr/--$_\b/, "router --help lists --$_") for qw(redis agents);

# an unknown option is refused
`'$router' --no-such-option 2>&1`;
isnt($? >> 8, 0, 'router refuses an unknown option');

# the module alone loads into the stock nginx
my $r = $t->nginx_t('location / { return 204; }', redis => '');
ok($r->{ok}, 'module loads into ' . CCTest->nginx_binary)
    or diag $r->{output};

my $full = <<'EOF2';
location /call { callcenter_caller; }
        location /agent/ { callcenter_agent $http_x_agent; }
        location = /callcenter/status { callcenter_status; }
EOF2

$r = $t->nginx_t($full);
ok($r->{ok}, 'full configuration accepted') or diag $r->{output};

$r = $t->nginx_t($full, redis => 'callcenter_redis unix:/tmp/cc.sock;');
ok($r->{ok}, 'callcenter_redis unix:/path accepted') or diag $r->{output};

$r = $t->nginx_t($full,
    redis => 'callcenter_redis 127.0.0.1:%%REDIS_PORT%% password=secret db=3;');
ok($r->{ok}, 'callcenter_redis password= db= accepted') or diag $r->{output};

$r = $t->nginx_t('location /call { callcenter_caller; }', redis => '');
ok(!$r->{ok}, 'callcenter_caller without callcenter_redis rejected');
like($r->{output}, qr/\[emerg\]/, '... with an [emerg]');

$r = $t->nginx_t('location /agent/ { callcenter_agent $remote_user; }',
    redis => '');
ok(!$r->{ok}, 'callcenter_agent without callcenter_redis rejected');

# Bad directives: [server block, http-level redis line, name]
my @bad = (
    ['location /call { callcenter_caller on; }', undef,
        'callcenter_caller takes no argument'],
    ['location /a/ { callcenter_agent; }', undef,
        'callcenter_agent needs a variable'],
    ['location /a/ { callcenter_agent $http_x_a $http_x_b; }', undef,
        'callcenter_agent takes one variable'],
    ['location = /s { callcenter_status foo; }', undef,
        'callcenter_status takes no argument'],
    ['location /call { callcenter_caller; }', 'callcenter_redis;',
        'callcenter_redis needs an address'],
    ['location /call { callcenter_caller; }',
        'callcenter_redis 127.0.0.1:notaport;', 'callcenter_redis bad port'],
    ['location /call { callcenter_caller; }',
        'callcenter_redis 127.0.0.1:%%REDIS_PORT%% db=x;',
        'callcenter_redis bad db'],
    ['location /call { callcenter_caller; }',
        'callcenter_redis 127.0.0.1:%%REDIS_PORT%% colour=blue;',
        'callcenter_redis unknown parameter'],
    ['location /call { callcenter_caller; }',
        "callcenter_redis 127.0.0.1:%%REDIS_PORT%%;\n"
        . "    callcenter_redis 127.0.0.1:%%REDIS_PORT%%;",
        'callcenter_redis twice'],
    ['location /call { callcenter_caller; callcenter_redis 127.0.0.1:1; }',
        undef, 'callcenter_redis in a location'],
    ['location /call { callcenter_caller; callcenter_heartbeat soon; }',
        undef, 'callcenter_heartbeat bad time'],
    ['location /call { callcenter_caller; callcenter_body_max huge; }',
        undef, 'callcenter_body_max bad size'],
    ['location /call { callcenter_caller; callcenter_message_max -1; }',
        undef, 'callcenter_message_max bad size'],
    ['location /call { callcenter_caller; callcenter_presence_grace x; }',
        undef, 'callcenter_presence_grace bad time'],
    ['location /call { callcenter_caller; callcenter_stream_buffer x; }',
        undef, 'callcenter_stream_buffer bad size'],
    ['location /call { callcenter_caller; callcenter_heartbeat; }',
        undef, 'callcenter_heartbeat without value'],
);
for my $case (@bad) {
    my ($server, $redis, $name) = @$case;
    my $res = $t->nginx_t($server, defined $redis ? (redis => $redis) : ());
    ok(!$res->{ok} && $res->{output} =~ /\[emerg\]/
        && $res->{output} !~ /unknown directive/, "rejected: $name")
        or diag $res->{output};
}

# Good tuning directives at every level they are documented for
$r = $t->nginx_t('callcenter_heartbeat 5s; callcenter_presence_grace 2s;
        callcenter_body_max 8k; callcenter_message_max 4k;
        callcenter_stream_buffer 64k; callcenter_caller_page /x.html;
        location /call { callcenter_caller; callcenter_heartbeat 1s; }',
    http => 'callcenter_heartbeat 20s; callcenter_redis_timeout 2s;');
ok($r->{ok}, 'tuning directives accepted at http, server, location')
    or diag $r->{output};

done_testing;

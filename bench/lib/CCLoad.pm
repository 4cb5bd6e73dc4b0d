package CCLoad;

# Plans for build/bench/cc-load and runs of it (its interface: the usage
# at the top of bench/cc-load.c): a plan is built line by line, written
# to a file, then run to its end (the report, decoded) or held open with
# --idle until stopped.
#
#     my $p = CCLoad->new("$dir/relay");
#     $p->stream('c1', "127.0.0.1:$port", "/call/$id/events?token=$tok");
#     $p->target("127.0.0.1:$port", 'POST', "/call/$id/messages?token=$tok",
#         ['Content-Type: application/json'], '{"type":"chat","text":"%T"}',
#         'c1');
#     my $report = $p->run(messages => 10, publishers => 4);

use strict;
use warnings;

use Carp qw(croak);
use JSON::PP;
use POSIX qw(:sys_wait_h);
use Time::HiRes qw(time sleep);
use CCTest;

sub binary { CCTest::build_dir() . '/bench/cc-load' }

# name: the path prefix of the plan file, its report and its logs
sub new {
    my ($class, $name) = @_;
    return bless { name => $name, lines => [], streams => 0,
        expected => 0 }, $class;
}

sub streams { $_[0]{streams} }

# What cc-load puts between its fields and header lines cannot be in them.
sub _field {
    my ($v) = @_;
    croak "cc-load plan: a tab or newline in '$v'" if $v =~ /[\t\r\n]/;
    return $v;
}

sub _headers {
    my ($h) = @_;
    return '-' unless $h && @$h;
    return join '\n', map { _field($_) } @$h;
}

# An SSE stream: label, host:port, path, header lines (optional).
sub stream {
    my ($self, $label, $addr, $path, @headers) = @_;
    push @{ $self->{lines} }, join "\t", 'S', _field($label), _field($addr),
        _field($path), _headers(\@headers);
    $self->{streams}++;
}

# A publish target: each round one request with body ("%T": the token),
# that each of the labels' streams must receive.
sub target {
    my ($self, $addr, $method, $path, $headers, $body, @labels) = @_;
    croak 'cc-load plan: a target without a stream' unless @labels;
    push @{ $self->{lines} }, join "\t", 'P', _field($addr), _field($method),
        _field($path), _headers($headers), _field($body),
        join(',', map { _field($_) } @labels);
}

sub _write {
    my ($self) = @_;
    my $file = "$self->{name}.plan";
    open my $fh, '>', $file or croak "$file: $!";
    print $fh map { "$_\n" } @{ $self->{lines} };
    close $fh or croak "$file: $!";
    return $file;
}

sub _args {
    my ($self, %opt) = @_;
    my @args = ('--plan', $self->_write);
    for my $k (qw(messages publishers timeout connect_rate ready_file)) {
        next unless defined $opt{$k} && length $opt{$k};
        (my $flag = $k) =~ tr/_/-/;
        push @args, "--$flag", $opt{$k};
    }
    push @args, '--idle' if $opt{idle};
    return @args;
}

sub _spawn {
    my ($self, @args) = @_;
    my $bin = binary();
    croak "no $bin (cmake --build build)" unless -x $bin;
    my $pid = fork;
    croak "fork: $!" unless defined $pid;
    if ($pid == 0) {
        open STDIN, '<', '/dev/null';
        open STDOUT, '>', "$self->{name}.out" or POSIX::_exit(126);
        open STDERR, '>', "$self->{name}.err" or POSIX::_exit(126);
        { no warnings "exec"; exec { $bin } $bin, @args; }
        POSIX::_exit(127);
    }
    return $pid;
}

# The report cc-load printed (its last line of JSON), or croaks with its
# stderr.
sub _report {
    my ($self, $status) = @_;
    my ($json) = grep { /^\{/ } reverse split /\n/,
        CCTest::_read_file("$self->{name}.out");
    croak "cc-load $self->{name}: exit $status, no report:\n"
        . CCTest::_read_file("$self->{name}.err") unless $json;
    return JSON::PP->new->decode($json);
}

# Runs the plan to its end: the report (a hash, as cc-load prints it).
# opt: messages, publishers, timeout, connect_rate.
sub run {
    my ($self, %opt) = @_;
    my $pid = $self->_spawn($self->_args(%opt));
    waitpid($pid, 0);
    return $self->_report($? >> 8);
}

# Opens the plan's streams and holds them (--idle); returns once every
# stream is open (croaks if cc-load ends first or after timeout seconds).
sub start_idle {
    my ($self, %opt) = @_;
    my $ready = "$self->{name}.ready";
    unlink $ready;
    my $timeout = delete $opt{timeout} // 120;
    $self->{pid} = $self->_spawn($self->_args(%opt, idle => 1,
        ready_file => $ready));
    my $deadline = time + $timeout;
    while (CCTest::_read_file($ready) !~ /^ready \d+\n/) {
        if (waitpid($self->{pid}, WNOHANG) == $self->{pid}) {
            delete $self->{pid};
            croak "cc-load $self->{name} --idle ended:\n"
                . CCTest::_read_file("$self->{name}.err")
                . CCTest::_read_file("$self->{name}.out");
        }
        croak "cc-load $self->{name}: not ready after $timeout s"
            if time > $deadline;
        sleep 0.05;
    }
    return $self;
}

# Ends a start_idle: SIGTERM, and its report if it printed one.
sub stop {
    my ($self) = @_;
    my $pid = delete $self->{pid} or return undef;
    kill 'TERM', $pid;
    waitpid($pid, 0);
    return eval { $self->_report($? >> 8) };
}

sub DESTROY { $_[0]->stop if $_[0]{pid} }

1;

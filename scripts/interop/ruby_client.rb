#!/usr/bin/env ruby
# frozen_string_literal: true

# A STOMP 1.2 client built on Debian's ruby-stomp gem, for interoperability tests.
#
# Usage:
#   ruby_client.rb publish DEST COUNT
#   ruby_client.rb consume DEST COUNT
#
# The broker is STOMP_HOST:STOMP_PORT (default 127.0.0.1:61613); STOMP_LOGIN and
# STOMP_PASSCODE are sent when set. STOMP_TIMEOUT is the time limit in seconds
# (default 20).
#
# publish sends COUNT messages with the bodies "ruby message 1 ✓" … "ruby message
# COUNT ✓" and disconnects with a receipt, so that it returns only once the broker
# has read every SEND.
#
# consume subscribes (waiting for the broker's receipt), prints READY on stderr, then
# prints each body received, one per line, on stdout, and exits 0 after COUNT
# messages; after the time limit it exits 2 with a message on stderr.

require 'stomp'
require 'timeout'

def fail_with(message, status = 2)
  warn "ruby_client: #{message}"
  $stderr.flush
  exit!(status)
end

mode, destination, count_text = ARGV
unless ARGV.length == 3 && %w[publish consume].include?(mode) && count_text =~ /\A\d+\z/
  fail_with('usage: ruby_client.rb publish|consume DEST COUNT', 64)
end
count = Integer(count_text)
host = ENV.fetch('STOMP_HOST', '127.0.0.1')
port = Integer(ENV.fetch('STOMP_PORT', '61613'))
timeout = Float(ENV.fetch('STOMP_TIMEOUT', '20'))
$stdout.sync = true

def next_frame(connection, deadline)
  remaining = deadline - Process.clock_gettime(Process::CLOCK_MONOTONIC)
  raise Timeout::Error if remaining <= 0

  frame = Timeout.timeout(remaining) { connection.receive }
  fail_with('connection closed by the broker') if frame.nil?
  fail_with("broker sent ERROR: #{frame.headers['message']}") if frame.command == Stomp::CMD_ERROR
  frame
end

deadline = Process.clock_gettime(Process::CLOCK_MONOTONIC) + timeout
params = {
  hosts: [{ login: ENV.fetch('STOMP_LOGIN', ''), passcode: ENV.fetch('STOMP_PASSCODE', ''), host: host, port: port }],
  connect_headers: { 'accept-version' => '1.2', 'host' => '/' },
  reliable: false,
  connect_timeout: timeout.ceil
}
begin
  connection = Stomp::Connection.new(params)
rescue StandardError => e
  fail_with("could not connect to #{host}:#{port}: #{e.class}: #{e.message}")
end
fail_with("broker refused the connection: #{connection.connection_frame.headers['message']}") unless connection.open?

received = 0
begin
  if mode == 'publish'
    (1..count).each do |index|
      connection.publish(destination, "ruby message #{index} ✓", 'content-type' => 'text/plain')
    end
  else
    connection.subscribe(destination, { 'ack' => 'auto', 'receipt' => 'subscribed' }, 'interop-1')
    subscribed = false
    while received < count || !subscribed
      frame = next_frame(connection, deadline)
      case frame.command
      when Stomp::CMD_RECEIPT
        if frame.headers['receipt-id'] == 'subscribed' && !subscribed
          subscribed = true
          warn 'READY'
          $stderr.flush
        end
      when Stomp::CMD_MESSAGE
        received += 1
        $stdout.write("#{frame.body.dup.force_encoding('UTF-8')}\n")
      end
    end
  end
  remaining = [deadline - Process.clock_gettime(Process::CLOCK_MONOTONIC), 0.1].max
  Timeout.timeout(remaining) { connection.disconnect('receipt' => 'bye') }
rescue Timeout::Error
  if mode == 'publish'
    fail_with("timed out after #{timeout} s")
  else
    fail_with("timed out after #{timeout} s: received #{received} of #{count} messages")
  end
end
exit 0

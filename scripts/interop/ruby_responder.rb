#!/usr/bin/env ruby
# frozen_string_literal: true

# A request-reply service written with Debian's ruby-stomp gem: the seed's world.
#
# Usage: ruby_responder.rb QUEUE COUNT
#
# Subscribes to QUEUE, prints READY on stderr once the broker confirmed, then answers
# COUNT requests: each reply goes to the request's reply-to with its correlation-id
# and the body "ruby says: <request body>". Broker: STOMP_HOST:STOMP_PORT (default
# 127.0.0.1:61613), STOMP_LOGIN/STOMP_PASSCODE when set; time limit STOMP_TIMEOUT s
# (default 20), after which it exits 2.

require 'stomp'
require 'timeout'

queue, count_text = ARGV
unless ARGV.length == 2 && count_text =~ /\A\d+\z/
  warn 'usage: ruby_responder.rb QUEUE COUNT'
  exit!(64)
end
count = Integer(count_text)
host = ENV.fetch('STOMP_HOST', '127.0.0.1')
port = Integer(ENV.fetch('STOMP_PORT', '61613'))
timeout = Float(ENV.fetch('STOMP_TIMEOUT', '20'))
params = {
  hosts: [{ login: ENV.fetch('STOMP_LOGIN', ''), passcode: ENV.fetch('STOMP_PASSCODE', ''), host: host, port: port }],
  connect_headers: { 'accept-version' => '1.2', 'host' => '/' },
  reliable: false,
  connect_timeout: timeout.ceil
}
answered = 0
begin
  Timeout.timeout(timeout) do
    connection = Stomp::Connection.new(params)
    connection.subscribe(queue, { 'ack' => 'auto', 'receipt' => 'subscribed' }, 'responder-1')
    while answered < count
      frame = connection.receive
      raise 'connection closed' if frame.nil?
      raise "broker sent ERROR: #{frame.headers['message']}" if frame.command == Stomp::CMD_ERROR

      if frame.command == Stomp::CMD_RECEIPT
        warn 'READY'
        $stderr.flush
      elsif frame.command == Stomp::CMD_MESSAGE
        connection.publish(frame.headers['reply-to'], "ruby says: #{frame.body}",
                           'correlation-id' => frame.headers['correlation-id'], 'content-type' => 'text/plain')
        answered += 1
      end
    end
    connection.disconnect('receipt' => 'bye')
  end
rescue StandardError, Timeout::Error => e
  warn "ruby_responder: #{e.class}: #{e.message} (answered #{answered} of #{count})"
  exit!(2)
end
exit 0

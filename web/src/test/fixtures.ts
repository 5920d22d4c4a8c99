// Definitions the tests create on the real server.
export const paced = (name: string) => ({
  name,
  mode: 'REALTIME',
  rate: 2000,
  seed: 1,
  end_condition: { type: 'MANUAL' },
  destination: { type: 'BLACKHOLE' },
  fields: [
    { name: 'id', type: 'SEQUENCE' },
    { name: 'status', type: 'ENUM_RANDOM', params: { values: ['NEW', 'PAID'] } },
  ],
});

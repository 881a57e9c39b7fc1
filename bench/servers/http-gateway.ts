import { startHttpGateway } from '../../test/kit/servers/http-gateway';

/** The test kit's loopback SMS gateway in its own process, answering 200 OK and recording nothing. */
void startHttpGateway({ record: false, port: Number(process.env.PORT) });
